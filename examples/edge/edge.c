/* An edge app (a kiosk, a handheld, a gateway) that decides locally with
 * nothing but custos.h: it runs only policies its security team signed,
 * keeps its own audit log, and survives a bad update.
 *
 *   edge TRUSTED_PUBLIC_KEY BUNDLE [UPDATE_BUNDLE...]
 *
 * Loads BUNDLE under the trusted key, decides a few requests, records them
 * in audit.db (keyed with audit.key; both in the current directory), then
 * tries each UPDATE_BUNDLE: a refused update (a lower version, another
 * signer, a changed byte) is printed and the app keeps deciding with the
 * policy it runs. Finally it verifies its audit log. Exits 0 when all of
 * that worked, 1 otherwise. */
#include <stdio.h>
#include <string.h>

#include "custos/custos.h"

static const char* kRequests[] = {
    "{\"actor\": {\"id\": \"clerk-1\", \"roles\": [\"clerk\"]}, \"action\": \"read\","
    " \"purpose\": \"checkout\", \"subject\": {\"id\": \"card-77\"},"
    " \"categories\": [\"loyalty.points\", \"contact.email\"]}",
    "{\"actor\": {\"id\": \"clerk-1\", \"roles\": [\"clerk\"]}, \"action\": \"share\","
    " \"purpose\": \"checkout\", \"subject\": {\"id\": \"card-77\"},"
    " \"categories\": [\"contact.email\"]}",
    "{\"actor\": {\"id\": \"kiosk\", \"roles\": [\"kiosk\"]}, \"action\": \"read\","
    " \"purpose\": \"offers\", \"subject\": {\"id\": \"card-77\"},"
    " \"categories\": [\"loyalty.points\"]}",
};

/* Prints the running policy: "policy NAME version N". */
static int print_policy(custos_engine* engine) {
  char* policy = NULL;
  if (custos_engine_policy(engine, &policy) != CUSTOS_OK) return 0;
  printf("running %s\n", policy);
  custos_free(policy);
  return 1;
}

/* Decides every request; prints each decision without its "policy" member
 * (the name, version and hash of the policy, printed once above). */
static int decide_all(custos_engine* engine) {
  size_t i;
  for (i = 0; i < sizeof kRequests / sizeof kRequests[0]; ++i) {
    char* decision = NULL;
    const char* tail;
    if (custos_check(engine, kRequests[i], &decision) != CUSTOS_OK) {
      fprintf(stderr, "edge: %s\n", custos_last_error());
      return 0;
    }
    tail = strstr(decision, ",\"policy\":");
    printf("  request %zu: %.*s}\n", i + 1, tail ? (int)(tail - decision) : (int)strlen(decision),
           decision);
    custos_free(decision);
  }
  return 1;
}

int main(int argc, char** argv) {
  char options[2048];
  char* verified = NULL;
  custos_engine* engine;
  int i, ok = 1;
  if (argc < 3) {
    fprintf(stderr, "usage: edge TRUSTED_PUBLIC_KEY BUNDLE [UPDATE_BUNDLE...]\n");
    return 2;
  }
  /* Sync audit: a decision returns once its entry is on disk. */
  snprintf(options, sizeof options,
           "{\"trusted_public_key\": \"%s\", \"audit_log\": \"audit.db\","
           " \"audit_key_file\": \"audit.key\", \"audit_mode\": \"sync\"}",
           argv[1]);
  engine = custos_engine_open(argv[2], options);
  if (!engine) {
    fprintf(stderr, "edge: %s\n", custos_last_error());
    return 1;
  }
  ok = print_policy(engine) && decide_all(engine);

  for (i = 3; ok && i < argc; ++i) {
    const int rc = custos_engine_reload_bundle(engine, argv[i]);
    if (rc == CUSTOS_OK) {
      printf("update %s: installed\n", argv[i]);
    } else {
      printf("update %s: refused (code %d): %s\n", argv[i], rc, custos_last_error());
    }
    ok = print_policy(engine) && decide_all(engine);
  }
  custos_engine_close(engine); /* closes the audit log */

  if (custos_audit_verify("audit.db", "audit.key", NULL, &verified) != CUSTOS_OK) {
    fprintf(stderr, "edge: audit log: %s\n", custos_last_error());
    return 1;
  }
  printf("audit log verified: %s\n", verified);
  custos_free(verified);
  return ok ? 0 : 1;
}
