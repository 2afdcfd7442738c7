// nabla-serve: a model server that speaks TensorFlow Serving's REST API, with tensorflow_model_server's flags.
//   nabla-serve --rest_api_port=8501 --model_name=mnist --model_base_path=/models/mnist
//   nabla-serve --model_config_file=models.config --enable_batching --batching_parameters_file=batching.config
// The base path holds integer-named version directories, each with one model file nabla::load_model reads.
// SIGTERM/SIGINT drain: /readyz turns 503, requests keep being answered until idle, then the server exits.
#include <CLI/CLI.hpp>

#include <csignal>
#include <filesystem>
#include <iostream>
#include <pthread.h>

#include "nabla/core/parallel.h"
#include "nabla/serve/server.h"

int main(int argc, char** argv) {
  CLI::App app{"Serves nabla model files over TensorFlow Serving's REST API"};
  nabla::serve::ServerOptions opts;
  std::string model_name = "default", model_base_path, model_config_file, batching_parameters_file;
  int poll_seconds = 1, num_threads = 0, timeout_ms = 30000, intra_op = 0;
  int64_t max_body = int64_t(opts.max_body_bytes);
  double drain_timeout_s = 10;
  bool enable_batching = false;
  int grpc_port = 0;
  app.add_option("--rest_api_port", opts.port, "Port for the REST API (0: a free port, printed at start)")
      ->capture_default_str();
  app.add_option("--rest_api_host", opts.host, "Address to bind (TF Serving binds every address; nabla-serve "
                                               "loopback unless told)")
      ->capture_default_str();
  app.add_option("--model_name", model_name, "Name of the model served from --model_base_path")->capture_default_str();
  app.add_option("--model_base_path", model_base_path, "Directory of integer-named version directories");
  app.add_option("--model_config_file", model_config_file,
                 "A ModelServerConfig text proto (model_config_list) for several models; replaces --model_name/"
                 "--model_base_path");
  app.add_option("--file_system_poll_wait_seconds", poll_seconds,
                 "Seconds between looks for new and removed versions (0: load once)")
      ->capture_default_str();
  app.add_flag("--enable_batching", enable_batching, "Batch concurrent requests");
  app.add_option("--batching_parameters_file", batching_parameters_file, "A BatchingParameters text proto");
  app.add_option("--rest_api_num_threads", num_threads, "HTTP worker threads (0: 4 x CPUs, at least 16)")
      ->capture_default_str();
  app.add_option("--rest_api_timeout_in_ms", timeout_ms, "Timeout for receiving a body and for a batch")
      ->capture_default_str();
  app.add_option("--rest_api_max_body_bytes", max_body, "Larger request bodies are refused with 413")
      ->capture_default_str();
  app.add_option("--tensorflow_intra_op_parallelism", intra_op, "Threads per inference (0: nabla's default)")
      ->capture_default_str();
  app.add_option("--drain_timeout_seconds", drain_timeout_s, "Longest wait for requests after SIGTERM")
      ->capture_default_str();
  app.add_option("--port", grpc_port, "tensorflow_model_server's gRPC port: accepted so that its command lines "
                                     "work, but nabla-serve serves the REST API only");
  CLI11_PARSE(app, argc, argv);
  if (grpc_port != 0) std::cerr << "nabla-serve: --port (gRPC) ignored: only the REST API is served\n";

  // Signals go to a waiting thread below, not to whichever thread they hit (block before any thread starts).
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  try {
    if (!model_config_file.empty()) {
      opts.models = nabla::serve::parse_model_config_list(nabla::serve::read_text_file(model_config_file),
                                                          model_config_file);
    } else if (!model_base_path.empty()) {
      nabla::serve::ModelConfig m;
      m.name = model_name;
      m.base_path = model_base_path;
      opts.models.push_back(m);
    } else {
      std::cerr << "nabla-serve: give --model_base_path (with --model_name) or --model_config_file\n";
      return 2;
    }
    for (const auto& m : opts.models)
      if (!std::filesystem::is_directory(m.base_path))
        std::cerr << "nabla-serve: warning: base path " << m.base_path << " of model '" << m.name
                  << "' is not a directory (yet); it is polled\n";
    if (enable_batching) {
      opts.batching = batching_parameters_file.empty()
                          ? nabla::serve::BatchingParameters{}
                          : nabla::serve::parse_batching_parameters(
                                nabla::serve::read_text_file(batching_parameters_file), batching_parameters_file);
    } else if (!batching_parameters_file.empty()) {
      std::cerr << "nabla-serve: --batching_parameters_file has no effect without --enable_batching\n";
    }
    if (intra_op > 0) nabla::set_num_threads(intra_op);
    opts.poll_interval = std::chrono::milliseconds(int64_t(poll_seconds) * 1000);
    opts.num_threads = num_threads;
    opts.timeout = std::chrono::milliseconds(timeout_ms);
    opts.max_body_bytes = size_t(max_body);
    opts.drain_timeout = std::chrono::milliseconds(int64_t(drain_timeout_s * 1000));
    opts.log = &std::cerr;

    nabla::serve::Server server(opts);
    server.start();
    std::cout << "nabla-serve: REST API at http://" << opts.host << ":" << server.port() << "/v1/models/"
              << opts.models.front().name << std::endl;
    int sig = 0;
    sigwait(&signals, &sig);
    std::cerr << "nabla-serve: " << (sig == SIGTERM ? "SIGTERM" : "SIGINT") << " received" << std::endl;
    server.drain();
  } catch (const std::exception& e) {
    std::cerr << "nabla-serve: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
