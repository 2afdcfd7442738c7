// Model::summary: Keras's table of layers, output shapes and parameter counts.
#include <iomanip>
#include <string>

#include "nabla/train/model.h"

namespace nabla {

void Model::summary(std::ostream& os) {
  build_if_possible();
  auto shapes = layer_output_shapes();
  const int w1 = 29, w2 = 26, w3 = 10;
  std::string line(w1 + w2 + w3, '_'), dline(w1 + w2 + w3, '=');
  os << "Model: \"" << name_ << "\"\n" << line << "\n";
  os << std::left << std::setw(w1) << " Layer (type)" << std::setw(w2) << "Output Shape" << "Param #\n" << dline << "\n";
  int64_t trainable = 0, total = 0;
  for (size_t i = 0; i < shapes.size(); ++i) {
    auto& [layer, shape] = shapes[i];
    std::string lt = " " + layer->name() + " (" + layer->type() + ")";
    os << std::left << std::setw(w1) << lt << std::setw(w2) << shape.str() << layer->count_params() << "\n";
    if (i + 1 < shapes.size()) os << "\n";
    total += layer->count_params();
    for (const Tensor& t : layer->trainable_weights()) trainable += t.numel();
  }
  auto commas = [](int64_t v) {  // 101770 -> "101,770"
    std::string digits = std::to_string(v), out;
    for (size_t i = 0; i < digits.size(); ++i) {
      if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
      out += digits[i];
    }
    return out;
  };
  os << dline << "\n";
  os << "Total params: " << commas(total) << "\n";
  os << "Trainable params: " << commas(trainable) << "\n";
  os << "Non-trainable params: " << commas(total - trainable) << "\n" << line << "\n";
}

}  // namespace nabla
