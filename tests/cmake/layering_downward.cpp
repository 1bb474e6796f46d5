// The control of layering_upward.cpp: the same include path reaches the
// language module's headers, which the policy module may use.
#include "lang/checker.hpp"

int custos_layering_downward_probe() {
  return 0;
}
