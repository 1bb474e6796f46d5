/* The C call of the test package: custos.h from C. */
#include <string.h>

#include "custos/custos.h"

int custos_test_package_c_call(void) {
  char* out = NULL;
  /* An error, reported as a code and a message, never a crash. */
  if (custos_check(NULL, "{}", &out) != CUSTOS_INVALID_ARGUMENT || out != NULL) return 0;
  if (strcmp(custos_last_error(), "engine is NULL") != 0) return 0;
  return strcmp(custos_version(), "0.1.0") == 0;
}
