// nabla-convert IN OUT: converts a model between the file formats load_model reads and save_model writes; the
// format follows each path (see nabla/io/model_file.h). The output is written through a temporary name, so a
// failed conversion leaves any previous OUT in place.
//
// nabla-convert --quantize int8 --calibration N --calibration-data mnist|fashion_mnist|IDX IN OUT.nblite
// quantizes IN (nabla/lite/quantize.h), calibrating on the first N training images of the named dataset (or of
// an IDX file of u8 images), scaled to [0, 1] and shaped like the model's input.
#include <CLI/CLI.hpp>

#include <iostream>

#include "nabla/data/datasets/fashion_mnist.h"
#include "nabla/data/datasets/mnist.h"
#include "nabla/data/readers/idx.h"
#include "nabla/io/model_file.h"
#include "nabla/lite/lite_model.h"
#include "nabla/lite/quantize.h"
#include "nabla/train/functional.h"
#include "nabla/ops/math.h"
#include "nabla/train/sequential.h"

namespace {

// The model's input shape without the batch axis, where the model knows it.
std::vector<int64_t> input_shape(const nabla::Model& model) {
  if (auto* f = dynamic_cast<const nabla::Functional*>(&model); f && f->inputs().size() == 1) {
    const nabla::Shape& s = f->inputs()[0].shape();
    return std::vector<int64_t>(s.begin() + 1, s.end());
  }
  for (const auto& l : model.layers())
    if (!l->built_input_shapes().empty()) {
      const nabla::Shape& s = l->built_input_shapes()[0];
      return std::vector<int64_t>(s.begin() + 1, s.end());
    }
  throw nabla::ValueError("model '" + model.name() + "' has no known input shape to calibrate with");
}

// The first n images of `source`, float32 in [0, 1], shaped [n, model input shape...].
nabla::Tensor calibration_images(const std::string& source, int64_t n, const nabla::Model& model) {
  nabla::Tensor images;
  if (source == "mnist")
    images = nabla::datasets::mnist::load_data().train.images;
  else if (source == "fashion_mnist")
    images = nabla::datasets::fashion_mnist::load_data().train.images;
  else
    images = nabla::data::read_idx(source);
  if (images.dim() < 1 || images.size(0) < 1) throw nabla::ValueError(source + ": no images");
  n = std::min(n, images.size(0));
  std::vector<int64_t> shape{n};
  for (int64_t d : input_shape(model)) shape.push_back(d);
  const nabla::Tensor x = images.slice(0, 0, n).contiguous().to(nabla::f32) / 255.0;
  if (nabla::Shape(shape).numel() != x.numel())
    throw nabla::ValueError(source + ": images of shape " + images.shape().str() + " do not fit the input of model '" +
                            model.name() + "'");
  return x.reshape(nabla::Shape(shape));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Converts a nabla/Keras model file to another format (the format follows each path's extension)"};
  std::string in, out, quantize, calibration_data, calibration_method = "auto";
  int64_t calibration = 1000;
  int weight_bits = 8;
  bool no_compile = false, no_optimizer = false;
  app.add_option("IN", in, "model to read")->required();
  app.add_option("OUT", out, "file to write")->required();
  app.add_flag("--no-compile", no_compile, "load without the compile config (the output holds none)");
  app.add_flag("--no-optimizer", no_optimizer, "leave the optimizer and its state out of OUT");
  app.add_option("--quantize", quantize, "int8: post-training quantization into OUT.nblite (nabla lite)")
      ->check(CLI::IsMember({"int8"}));
  app.add_option("--calibration", calibration, "number of training images to calibrate activation ranges on")
      ->check(CLI::PositiveNumber);
  app.add_option("--calibration-data", calibration_data, "mnist, fashion_mnist, or an IDX file of u8 images");
  app.add_option("--calibration-method", calibration_method, "auto (per tensor, the smaller error), minmax, percentile")
      ->check(CLI::IsMember({"auto", "minmax", "percentile"}));
  app.add_option("--weight-bits", weight_bits, "8, or 7 for CPUs without VNNI")->check(CLI::IsMember({7, 8}));
  CLI11_PARSE(app, argc, argv);
  try {
    std::shared_ptr<nabla::Model> model = nabla::load_model(in, {.compile = !no_compile && quantize.empty()});
    if (!quantize.empty()) {
      if (calibration_data.empty()) throw nabla::ValueError("--quantize needs --calibration-data");
      const nabla::Tensor x = calibration_images(calibration_data, calibration, *model);
      const nabla::lite::QModel q = nabla::lite::quantize(
          *model, x, {.calibration = calibration_method, .weight_bits = weight_bits, .verbose = 1});
      nabla::save_model(q, out);
      std::cout << in << " -> " << out << ": model '" << model->name() << "' quantized to int8 (" << q.ops.size()
                << " ops, calibrated on " << x.size(0) << " images of " << calibration_data << ")\n";
      for (const auto& t : q.tensors)
        std::cout << "  " << t.name << ": scale " << t.q.scale << ", zero point " << t.q.zero_point << " ("
                  << t.calibration << ")\n";
      return 0;
    }
    nabla::save_model(*model, out, {.include_optimizer = !no_optimizer && model->compiled()});
    std::cout << in << " -> " << out << ": model '" << model->name() << "', " << model->layers().size()
              << " layers, " << model->count_params() << " parameters"
              << (model->compiled() && !no_optimizer ? ", with its optimizer state" : "") << "\n";
  } catch (const std::exception& e) {
    std::cerr << "nabla-convert: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
