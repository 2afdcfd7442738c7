// nabla-serve's request handling: the REST routes, the JSON request parser (row/columnar, named inputs, b64,
// NaN/Infinity) and the response writer, on two in-memory models (one input [-1, 4]; two named inputs); and the
// text-proto config readers. The first byte picks what the rest is:
//   0: GET  <path>\n       1: POST <path>\n<body>       2: --model_config_file text       3: --batching_parameters_file
// A response with status 500 means an exception the handler did not expect (a bug); config readers may only
// refuse input with nabla's errors.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "fuzz_util.h"
#include "nabla/nabla.h"
#include "nabla/serve/rest_handler.h"
#include "nabla/serve/server_config.h"

namespace {

using namespace nabla;

struct Env {
  serve::Metrics metrics;
  serve::ModelManager manager{{}};
  serve::RestHandler handler{manager, metrics};
  Env() {
    auto one = std::make_shared<Sequential>(std::vector<nn::LayerPtr>{layers::Flatten({4}), layers::Dense(3, "softmax")});
    one->build_if_possible();
    manager.add_servable(std::make_shared<serve::Servable>("m", 1, one));
    auto a = Input({2}, "a"), b = Input({1}, "b");
    auto h = apply_layer(layers::Concatenate(), std::vector<KerasTensor>{a, b});
    auto two = std::make_shared<Functional>(std::vector<KerasTensor>{a, b},
                                            std::vector<KerasTensor>{apply_layer(layers::Dense(2), h)});
    manager.add_servable(std::make_shared<serve::Servable>("two", 3, two));
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Env* env = new Env();  // built once; leaked on purpose (lives as long as the process)
  if (size == 0) return -1;
  const int mode = data[0] % 4;
  const std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (mode >= 2) {
    nabla::fuzz::expect_clean([&] {
      if (mode == 2) serve::parse_model_config_list(rest, "fuzz.config");
      else serve::parse_batching_parameters(rest, "fuzz.config");
    });
    return 0;
  }
  const size_t nl = rest.find('\n');
  serve::HttpRequest req{mode == 0 ? "GET" : "POST", rest.substr(0, nl),
                         nl == std::string::npos ? "" : rest.substr(nl + 1)};
  const serve::HttpResponse res = env->handler.handle(req);
  if (res.status == 500) {
    std::fprintf(stderr, "nabla fuzz: the handler failed unexpectedly: %s\n", res.body.c_str());
    std::abort();
  }
  if (res.status < 200 || res.status > 504 || res.body.empty()) std::abort();
  return 0;
}
