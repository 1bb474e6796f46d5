/* The C API through the installed CMake package: decides one request with
 * custos_check and checks the decision's bytes. Exits 0 when right. */
#include <stdio.h>
#include <string.h>

#include "custos/custos.h"

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  custos_engine* engine = custos_engine_open(argv[1], "{\"clock\": 1795867200}");
  if (!engine) {
    fprintf(stderr, "%s\n", custos_last_error());
    return 1;
  }
  char* decision = NULL;
  const int rc = custos_check(engine,
                              "{\"actor\": {\"roles\": [\"agent\"]}, \"action\": \"read\", "
                              "\"purpose\": \"support\", \"categories\": [\"contact.email\"]}",
                              &decision);
  int ok = rc == CUSTOS_OK && decision &&
           strstr(decision, "\"effect\":\"allow\",\"transform\":\"mask\"") != NULL;
  printf("%s\n", decision ? decision : custos_last_error());
  custos_free(decision);
  custos_engine_close(engine);
  return ok ? 0 : 1;
}
