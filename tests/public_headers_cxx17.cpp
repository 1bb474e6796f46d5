// Compiled as C++17 (see CMakeLists.txt): every public header must work for
// consumers that are not on C++20 yet, and must not pull in SQLite, OpenSSL
// or nlohmann/json. The umbrella header comes first, so it must stand on its
// own (tests/cmake/layering.cmake checks that it names every public header).
#include "custos/custos.hpp"

#include "custos/access_record.hpp"
#include "custos/audit.hpp"
#include "custos/bundle.hpp"
#include "custos/consent.hpp"
#include "custos/consent_record.hpp"
#include "custos/consent_signal.hpp"
#include "custos/custos.h"
#include "custos/database.hpp"
#include "custos/decision.hpp"
#include "custos/diagnostic.hpp"
#include "custos/engine.hpp"
#include "custos/limits.hpp"
#include "custos/policy.hpp"
#include "custos/purge.hpp"
#include "custos/request.hpp"
#include "custos/status.hpp"
#include "custos/tc_string.hpp"
#include "custos/transform.hpp"
#include "custos/value.hpp"
#include "custos/version.hpp"

#if __cplusplus > 201703L
#error "this file must be compiled as C++17"
#endif
#if defined(SQLITE_VERSION) || defined(OPENSSL_VERSION_NUMBER) || \
    defined(NLOHMANN_JSON_VERSION_MAJOR)
#error "a public header includes a third-party header"
#endif

int custos_public_headers_compile_as_cxx17() {
  return CUSTOS_VERSION_MAJOR + CUSTOS_OK;
}
