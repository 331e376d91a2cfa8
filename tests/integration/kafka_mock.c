/* A Kafka cluster for the integration test: librdkafka's built-in mock brokers.
 * Prints the bootstrap servers, then reads commands from stdin until it closes:
 *   error API_KEY CODE   the next request of that API fails with CODE. */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>

int main(void) {
  char err[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) {
    fprintf(stderr, "kafka_mock: %s\n", err);
    return 1;
  }
  rd_kafka_mock_cluster_t *cluster = rd_kafka_mock_cluster_new(rk, 1);
  if (!cluster) {
    fprintf(stderr, "kafka_mock: no mock cluster\n");
    return 1;
  }
  rd_kafka_mock_topic_create(cluster, "orders", 3, 1);
  printf("%s\n", rd_kafka_mock_cluster_bootstraps(cluster));
  fflush(stdout);
  int api_key, code;
  char line[128];
  while (fgets(line, sizeof line, stdin)) {
    if (sscanf(line, "error %d %d", &api_key, &code) == 2) {
      rd_kafka_mock_push_request_errors(cluster, (int16_t)api_key, 1, (rd_kafka_resp_err_t)code);
      printf("ok\n");
      fflush(stdout);
    }
  }
  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(rk);
  return 0;
}
