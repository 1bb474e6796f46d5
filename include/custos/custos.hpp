// custos.hpp: every public C++ header of Custos in one include, for
// applications that would rather not pick them one by one.
//
//   #include "custos/custos.hpp"
//   auto policy = custos::Policy::load("crm.custos");
//   custos::Engine engine(*policy);
//
// Start with engine.hpp for what each piece does. The C API (custos.h) is
// included too: its functions are usable from C++ as they are.
// Thread-safety: as each header says.
#ifndef CUSTOS_CUSTOS_HPP
#define CUSTOS_CUSTOS_HPP

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
#include "custos/export.hpp"
#include "custos/limits.hpp"
#include "custos/policy.hpp"
#include "custos/purge.hpp"
#include "custos/request.hpp"
#include "custos/status.hpp"
#include "custos/tc_string.hpp"
#include "custos/transform.hpp"
#include "custos/value.hpp"
#include "custos/version.hpp"

#endif  // CUSTOS_CUSTOS_HPP
