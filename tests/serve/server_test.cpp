// The server over HTTP on a free loopback port: the REST API end to end, and robustness: bodies over the limit
// refused with 413 before they are sent, stalled and slow clients cut off, versions swapped during load without
// a failed request, and SIGTERM during load (nabla-serve, the binary) answering every request in flight.
#include "nabla/serve/server.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <thread>

#include "serve_test_util.h"

namespace nabla::serve {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::save_version;
using testing::small_model;

const std::string kRow = R"({"instances": [[1, 2, 3, 4], [0.5, -1, 0, 2]]})";

// Waits (polling) until GET path answers 200; fails after `limit`.
bool wait_for_200(int port, const std::string& path, std::chrono::seconds limit = 120s) {
  httplib::Client c("127.0.0.1", port);
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (auto r = c.Get(path.c_str()); r && r->status == 200) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

// A raw TCP connection, for clients that misbehave.
struct RawSocket {
  int fd = -1;
  explicit RawSocket(int port, int recv_timeout_s = 60) {
    fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(uint16_t(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    timeval tv{recv_timeout_s, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~RawSocket() { close(fd); }
  bool send_all(const std::string& s) { return ::send(fd, s.data(), s.size(), MSG_NOSIGNAL) == ssize_t(s.size()); }
  // One HTTP response (headers and a Content-Length body); "" if the connection closes or times out first.
  std::string read_response() {
    std::string out;
    char c;
    while (out.find("\r\n\r\n") == std::string::npos) {
      if (recv(fd, &c, 1, 0) != 1) return "";
      out += c;
    }
    size_t len = 0;
    if (auto p = out.find("Content-Length: "); p != std::string::npos) len = std::stoul(out.substr(p + 16));
    while (len > 0) {
      if (recv(fd, &c, 1, 0) != 1) return "";
      out += c;
      --len;
    }
    return out;
  }
  // Everything until the server closes (or the receive timeout: then `timed_out`).
  std::string read_all(bool* timed_out = nullptr) {
    std::string out;
    char buf[4096];
    while (true) {
      ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n > 0) {
        out.append(buf, size_t(n));
        continue;
      }
      if (timed_out) *timed_out = n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
      return out;
    }
  }
};

struct ServerFixture : ::testing::Test {
  void SetUp() override {
    base = nabla::testing::temp_dir() + "/models";
    model1 = small_model();
    save_version(*model1, base, 1);
  }
  void start(ServerOptions o = {}) {
    o.port = 0;
    ModelConfig c;
    c.name = "m";
    c.base_path = base;
    o.models = {c};
    server = std::make_unique<Server>(o);
    server->start();
    ASSERT_TRUE(wait_for_200(server->port(), "/readyz"));
  }
  std::string base;
  std::shared_ptr<Sequential> model1;
  std::unique_ptr<Server> server;
};

TEST_F(ServerFixture, PredictStatusMetadataMetricsOverHttp) {
  start();
  httplib::Client c("127.0.0.1", server->port());
  auto r = c.Post("/v1/models/m:predict", kRow, "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const auto pred = nlohmann::json::parse(r->body).at("predictions");
  Tensor want = model1->predict_on_batch(Tensor::from_vector(std::vector<float>{1, 2, 3, 4, 0.5f, -1, 0, 2}, Shape{2, 4}));
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j) EXPECT_NEAR(pred[i][j].get<double>(), want.data<float>()[i * 3 + j], 1e-6);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  r = c.Get("/v1/models/m");
  ASSERT_TRUE(r);
  EXPECT_EQ(nlohmann::json::parse(r->body)["model_version_status"][0]["state"], "AVAILABLE");
  r = c.Get("/v1/models/m/metadata");
  ASSERT_TRUE(r && r->status == 200);
  r = c.Post("/v1/models/m:predict", "{\"instances\": [[1, 2", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("\"error\""), std::string::npos);
  r = c.Get("/monitoring/prometheus/metrics");
  ASSERT_TRUE(r);
  EXPECT_NE(r->body.find("nabla_serve_requests_total{model=\"m\",version=\"1\",api=\"predict\",code=\"200\"} 1"),
            std::string::npos);
}

TEST_F(ServerFixture, HugeBodyIsRefusedWith413BeforeItIsSent) {
  ServerOptions o;
  o.max_body_bytes = 1 << 20;
  start(o);
  // 100 MB announced, not a byte of it sent: the answer comes from the headers alone.
  RawSocket s(server->port());
  ASSERT_TRUE(s.send_all("POST /v1/models/m:predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         "Content-Length: 104857600\r\n\r\n"));
  const std::string reply = s.read_response();
  EXPECT_EQ(reply.rfind("HTTP/1.1 413", 0), 0u) << reply;
  EXPECT_NE(reply.find("larger than the limit"), std::string::npos);
  // The same with Expect: 100-continue (what curl sends for large bodies).
  RawSocket s2(server->port());
  ASSERT_TRUE(s2.send_all("POST /v1/models/m:predict HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                          "Content-Length: 104857600\r\n\r\n"));
  EXPECT_EQ(s2.read_response().rfind("HTTP/1.1 413", 0), 0u);
  // Chunked: refused once the chunks pass the limit.
  RawSocket s3(server->port());
  ASSERT_TRUE(s3.send_all("POST /v1/models/m:predict HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"));
  const std::string chunk(1 << 16, ' ');
  char size_line[32];
  std::snprintf(size_line, sizeof size_line, "%zx\r\n", chunk.size());
  for (int i = 0; i < 40; ++i)
    if (!s3.send_all(size_line + chunk + "\r\n")) break;  // the server may close before all 2.5 MB are sent
  EXPECT_EQ(s3.read_response().rfind("HTTP/1.1 413", 0), 0u);
  // The server still serves.
  httplib::Client c("127.0.0.1", server->port());
  auto r = c.Post("/v1/models/m:predict", kRow, "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(ServerFixture, StalledAndTricklingClientsAreCutOff) {
  ServerOptions o;
  o.read_timeout = 300ms;
  o.timeout = 500ms;
  o.keep_alive_timeout = 1s;
  start(o);
  {
    // Headers, part of the body, then nothing: answered after the read timeout, closed after the keep-alive one.
    RawSocket s(server->port());
    ASSERT_TRUE(s.send_all("POST /v1/models/m:predict HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"inst"));
    bool timed_out = true;
    s.read_all(&timed_out);
    EXPECT_FALSE(timed_out) << "the server kept a stalled connection open for a minute";
  }
  {
    // A byte every 100 ms (never stalls for the read timeout): cut off with 408 once the body is late.
    RawSocket s(server->port());
    ASSERT_TRUE(s.send_all("POST /v1/models/m:predict HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n"));
    std::atomic<bool> stop{false};
    std::thread trickle([&] {
      for (int i = 0; i < 1000 && !stop; ++i) {
        if (!s.send_all(" ")) break;
        std::this_thread::sleep_for(100ms);
      }
    });
    const std::string reply = s.read_response();
    stop = true;
    trickle.join();
    EXPECT_EQ(reply.rfind("HTTP/1.1 408", 0), 0u) << reply;
  }
  httplib::Client c("127.0.0.1", server->port());
  auto r = c.Post("/v1/models/m:predict", kRow, "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(ServerFixture, VersionsSwappedDuringLoadWithoutAFailedRequest) {
  ServerOptions o;
  o.poll_interval = 50ms;
  start(o);
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, failed{0};
  std::mutex mu;
  std::set<std::string> bodies;  // the two versions answer differently
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t)
    clients.emplace_back([&] {
      httplib::Client c("127.0.0.1", server->port());
      while (!stop) {
        auto r = c.Post("/v1/models/m:predict", R"({"instances": [[1, 2, 3, 4]]})", "application/json");
        if (r && r->status == 200) {
          ++ok;
          std::lock_guard<std::mutex> lock(mu);
          bodies.insert(r->body);
        } else {
          ++failed;
        }
      }
    });
  while (ok < 20) std::this_thread::sleep_for(5ms);
  save_version(*small_model(), base, 2);  // dropped in
  ASSERT_TRUE(wait_for_200(server->port(), "/v1/models/m/versions/2/metadata"));
  fs::remove_all(base + "/1");            // the old one removed
  auto v1_ended = [&] {
    httplib::Client c("127.0.0.1", server->port());
    auto r = c.Get("/v1/models/m/versions/1");
    return r && nlohmann::json::parse(r->body)["model_version_status"][0]["state"] == "END";
  };
  while (!v1_ended()) std::this_thread::sleep_for(10ms);
  const int at_swap = ok;
  while (ok < at_swap + 20) std::this_thread::sleep_for(5ms);
  stop = true;
  for (auto& t : clients) t.join();
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(bodies.size(), 2u) << "both versions answered";
}

// nabla-serve as a child process on a free port (the port read from its first line of output).
struct ServeProcess {
  pid_t pid = -1;
  int port = 0;
  explicit ServeProcess(std::vector<std::string> args) {
    int out_pipe[2];
    EXPECT_EQ(pipe(out_pipe), 0);
    pid = fork();
    if (pid == 0) {
      dup2(out_pipe[1], 1);
      close(out_pipe[0]);
      args.insert(args.begin(), {NABLA_SERVE_BIN, "--rest_api_port=0"});
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(NABLA_SERVE_BIN, argv.data());
      _exit(127);
    }
    close(out_pipe[1]);
    std::string line;
    char ch;
    while (read(out_pipe[0], &ch, 1) == 1 && ch != '\n') line += ch;
    close(out_pipe[0]);
    const auto colon = line.rfind(':', line.find("/v1/"));
    EXPECT_NE(colon, std::string::npos) << line;
    if (colon != std::string::npos) port = std::stoi(line.substr(colon + 1));
  }
  // SIGTERM, then the exit status.
  int stop() {
    kill(pid, SIGTERM);
    int status = 0;
    waitpid(pid, &status, 0);
    pid = -1;
    return status;
  }
  ~ServeProcess() {
    if (pid > 0) stop();
  }
};

TEST(NablaServe, ModelConfigFileWithTwoModelsAndLabels) {
  const std::string dir = nabla::testing::temp_dir();
  save_version(*small_model(), dir + "/a", 1);
  save_version(*small_model(), dir + "/a", 2);
  save_version(*small_model(), dir + "/b", 7);
  std::ofstream(dir + "/models.config") << "model_config_list {\n"
                                           "  config { name: 'a' base_path: '" << dir << "/a' model_platform: 'tensorflow'\n"
                                           "    model_version_policy { all {} }\n"
                                           "    version_labels { key: 'stable' value: 1 } }\n"
                                           "  config { name: 'b' base_path: '" << dir << "/b' }\n"
                                           "}\n";
  ServeProcess p({"--model_config_file=" + dir + "/models.config", "--file_system_poll_wait_seconds=0"});
  ASSERT_TRUE(wait_for_200(p.port, "/readyz"));
  httplib::Client c("127.0.0.1", p.port);
  for (const char* path : {"/v1/models/a/labels/stable:predict", "/v1/models/a/versions/2:predict", "/v1/models/b:predict"}) {
    auto r = c.Post(path, R"({"instances": [[1, 2, 3, 4]]})", "application/json");
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 200) << path << " " << r->body;
  }
  auto r = c.Get("/v1/models/a");
  ASSERT_TRUE(r);
  EXPECT_EQ(nlohmann::json::parse(r->body)["model_version_status"].size(), 2u);
  EXPECT_EQ(c.Get("/v1/models/b/metadata")->status, 200);
  EXPECT_EQ(c.Post("/v1/models/a/labels/canary:predict", R"({"instances": [[1, 2, 3, 4]]})", "application/json")->status,
            404);
  const int status = p.stop();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST(NablaServe, BadConfigFileExitsWithTheLine) {
  const std::string dir = nabla::testing::temp_dir();
  std::ofstream(dir + "/bad.config") << "model_config_list {\n  config { name: 'a' base_path: '/x' bogus: 1 }\n}\n";
  const std::string cmd = std::string(NABLA_SERVE_BIN) + " --model_config_file=" + dir + "/bad.config 2>&1";
  FILE* f = popen(cmd.c_str(), "r");
  ASSERT_NE(f, nullptr);
  std::string out;
  char buf[256];
  while (fgets(buf, sizeof buf, f)) out += buf;
  const int status = pclose(f);
  EXPECT_NE(status, 0);
  EXPECT_NE(out.find("bad.config:2: unknown field 'bogus' in ModelConfig"), std::string::npos) << out;
}

// nabla-serve itself: SIGTERM while requests wait in the batching queue; every one of them is answered.
TEST(NablaServe, SigtermDuringLoadAnswersEveryRequestInFlight) {
  const std::string dir = nabla::testing::temp_dir();
  save_version(*small_model(), dir + "/models", 1);
  std::ofstream(dir + "/batching.config") << "max_batch_size { value: 64 }\nbatch_timeout_micros { value: 200000 }\n"
                                             "num_batch_threads { value: 1 }\n";
  int out_pipe[2];
  ASSERT_EQ(pipe(out_pipe), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(out_pipe[1], 1);
    close(out_pipe[0]);
    const std::string base = "--model_base_path=" + dir + "/models", batching = "--batching_parameters_file=" + dir + "/batching.config";
    execl(NABLA_SERVE_BIN, NABLA_SERVE_BIN, "--rest_api_port=0", "--model_name=m", base.c_str(), "--enable_batching",
          batching.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out_pipe[1]);
  std::string line;
  char ch;
  while (read(out_pipe[0], &ch, 1) == 1 && ch != '\n') line += ch;
  close(out_pipe[0]);
  const auto colon = line.rfind(':', line.find("/v1/"));
  ASSERT_NE(colon, std::string::npos) << line;
  const int port = std::stoi(line.substr(colon + 1));
  ASSERT_TRUE(wait_for_200(port, "/readyz"));

  std::atomic<bool> signalled{false};
  std::atomic<int> ok{0}, failed{0}, started{0};
  std::mutex mu;
  std::string failures;
  std::vector<std::thread> clients;
  for (int t = 0; t < 8; ++t)
    clients.emplace_back([&] {
      httplib::Client c("127.0.0.1", port);
      c.set_read_timeout(60, 0);
      while (!signalled) {  // no new request once the signal is on its way
        ++started;
        auto r = c.Post("/v1/models/m:predict", R"({"instances": [[1, 2, 3, 4]]})", "application/json");
        if (r && r->status == 200) {
          ++ok;
        } else {
          ++failed;
          std::lock_guard<std::mutex> lock(mu);
          failures += r ? "HTTP " + std::to_string(r->status) + " " + r->body + "\n" : httplib::to_string(r.error()) + "\n";
        }
      }
    });
  while (started < 16) std::this_thread::sleep_for(5ms);
  signalled = true;
  kill(pid, SIGTERM);  // requests are waiting in the 200 ms batching window now
  for (auto& t : clients) t.join();
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_EQ(failed, 0) << failures;
  EXPECT_EQ(ok, started);
}

}  // namespace
}  // namespace nabla::serve
