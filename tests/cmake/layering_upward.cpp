// Compiled with the policy module's include path by the
// `layering_upward_include` test, which passes only when this fails to
// compile because the engine's header cannot be found: the policy module
// must not see the engine, which sits above it.
#include "engine/evaluator.hpp"

int custos_layering_upward_probe() {
  return 0;
}
