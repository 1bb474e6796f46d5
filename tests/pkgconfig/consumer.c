/* A C11 consumer of the installed package, built with nothing but
 * `pkg-config --cflags --libs custos` (tests/pkgconfig/pkgconfig_test.sh):
 * writes a policy to WORK_DIR, decides one request through custos.h, and
 * prints the decision. */
#include <stdio.h>
#include <string.h>

#include "custos/custos.h"

int main(int argc, char** argv) {
  char path[1024];
  if (argc != 2) return 2;
  snprintf(path, sizeof path, "%s/consumer.custos", argv[1]);
  FILE* f = fopen(path, "w");
  if (!f) return 2;
  fputs(
      "policy \"p\" version 1\ncategory contact.email\npurpose support basis contract\n"
      "role agent\n@id(\"agent-mask\") allow agent to read contact.email as mask for support\n",
      f);
  fclose(f);
  custos_engine* engine = custos_engine_open(path, NULL);
  if (!engine) {
    fprintf(stderr, "%s\n", custos_last_error());
    return 1;
  }
  char* decision = NULL;
  const int rc = custos_check(engine,
                              "{\"actor\": {\"roles\": [\"agent\"]}, \"action\": \"read\", "
                              "\"purpose\": \"support\", \"categories\": [\"contact.email\"]}",
                              &decision);
  if (rc != CUSTOS_OK) {
    fprintf(stderr, "%s\n", custos_last_error());
    return 1;
  }
  /* Up to the policy's hash, which the test need not know. */
  const char* tail = strstr(decision, ",\"policy\":{\"name\":\"p\",\"version\":1,");
  printf("custos %s (C): %.*s\n", custos_version(), tail ? (int)(tail - decision) : 0, decision);
  custos_free(decision);
  custos_engine_close(engine);
  return 0;
}
