// io::parse_onnx_model: the input is an .onnx file (a ModelProto). A model that imports is also run on a small
// batch of zeros, so that the layers and op-level nodes it built see data.
#include <string_view>

#include "fuzz_util.h"
#include "nabla/io/onnx_import.h"
#include "nabla/train/functional.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nabla::fuzz::expect_clean([&] {
    auto model = nabla::io::parse_onnx_model(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.onnx");
    auto* f = dynamic_cast<nabla::Functional*>(model.get());
    if (!f) return;
    // A legitimately wide graph (a 65536-pixel pad, say) imports without running; running it is only slow.
    for (const auto& [layer, shape] : model->layer_output_shapes()) {
      int64_t n = 1;
      for (int i = 1; i < shape.size(); ++i) {
        if (shape[i] > 1024) return;
        n *= shape[i] < 0 ? 1 : shape[i];  // both factors at most 1024: no overflow
        if (n > 1024) return;
      }
    }
    std::vector<nabla::Tensor> xs;
    for (const auto& in : f->inputs()) {
      nabla::Shape s = in.shape();
      s[0] = 2;
      if (s.numel() > 1024) return;  // big inputs only make the run slow
      xs.push_back(nabla::Tensor::zeros(s));
    }
    (void)model->predict_on_batch(xs);
  });
  return 0;
}
