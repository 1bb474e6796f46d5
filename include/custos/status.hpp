// Status and Result<T>: how Custos reports load, IO and policy errors.
//
// A deny is never an error: it is a Decision (decision.hpp). Status is for
// what went wrong around a decision: a policy that does not check, a file that
// cannot be read, a request that cannot be parsed. No exception crosses the
// public API; every fallible call returns one of these, and both are
// [[nodiscard]] so a caller cannot silently drop a failure.
//
//   custos::Result<std::string> text = read_file(path);
//   if (!text.ok()) { log(text.status().message()); return; }
//   use(*text);
//
// Both say `ok()`. Reading the value of a Result that holds an error is a
// bug in the caller, not a condition to handle: value(), `*` and `->` then
// print the error to stderr and abort the process (they never throw, and
// never return a default value that could be mistaken for data).
//
// Thread-safety: plain values; copy freely.
#ifndef CUSTOS_STATUS_HPP
#define CUSTOS_STATUS_HPP

#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <variant>

namespace custos {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // the caller passed something malformed (JSON, time, name)
  kNotFound,         // a file, subject or record that does not exist
  kIoError,          // the operating system or SQLite refused a read or write
  kPolicyError,      // a policy did not check; diagnostics say why
  kCorruption,       // a stored file does not hold what Custos wrote
  kLimitExceeded,    // input larger or deeper than limits.hpp allows
  kRefused,          // the policy refuses what a guarded statement asks for
  kInternal,         // a bug in Custos; please report it
};

class [[nodiscard]] Status {
 public:
  Status() = default;  // ok
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Either a T or a non-ok Status. Access the value only after ok() is true.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : state_(std::move(status)) {
    if (std::get<Status>(state_).ok()) {
      state_ = Status(StatusCode::kInternal, "Result constructed from an ok Status");
    }
  }

  bool ok() const { return std::holds_alternative<T>(state_); }
  // The error; an ok Status when the Result holds a value.
  Status status() const { return ok() ? Status() : std::get<Status>(state_); }

  // REQUIRES: ok(). Otherwise prints the error and aborts.
  T& value() & { return *checked(); }
  const T& value() const& { return *checked(); }
  T&& value() && { return std::move(*checked()); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  T* checked() {
    if (T* value = std::get_if<T>(&state_)) return value;
    fail();
  }
  const T* checked() const {
    if (const T* value = std::get_if<T>(&state_)) return value;
    fail();
  }
  [[noreturn]] void fail() const {
    std::fprintf(stderr, "custos: value() of a Result that holds an error: %s\n",
                 std::get<Status>(state_).message().c_str());
    std::abort();
  }

  std::variant<T, Status> state_;
};

}  // namespace custos

#endif  // CUSTOS_STATUS_HPP
