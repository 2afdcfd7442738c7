#pragma once
// lite::Interpreter: runs a quantized model (lite/runtime/qmodel.h) on oneDNN's int8 kernels. Depends on core
// and kernels only (the nabla_lite_runtime library holds just those), so an inference binary needs no autograd,
// layers or training code:
//
//   nabla::lite::Interpreter interp = nabla::lite::Interpreter::from_file("m.nblite");
//   interp.invoke(images, batch, probabilities);  // float32 in, float32 out
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "nabla/lite/runtime/qmodel.h"

namespace nabla::lite {

class Interpreter {
 public:
  // Validates the model and prepares its kernels (weights are reordered per batch size on first use).
  explicit Interpreter(QModel model);
  // Reads and checks a .nblite file (lite/runtime/nblite_format.h).
  static Interpreter from_file(const std::string& path);
  Interpreter(Interpreter&&) noexcept;
  Interpreter& operator=(Interpreter&&) noexcept;
  ~Interpreter();

  const QModel& model() const;
  const std::vector<int64_t>& input_shape() const;   // without the batch axis
  const std::vector<int64_t>& output_shape() const;  // without the batch axis
  int64_t input_size() const;                        // elements per sample
  int64_t output_size() const;
  // x: float32 [batch, input_shape...], y: float32 [batch, output_shape...], both contiguous. Safe to call from
  // several threads at once.
  void invoke(const float* x, int64_t batch, float* y) const;
  // oneDNN's threads for invoke (0: OpenMP's default).
  void set_num_threads(int n);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace nabla::lite
