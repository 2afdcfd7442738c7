#pragma once
// What SimpleRNN, LSTM and GRU share (Keras's RNN wrapping a cell): the options, weights, masking, dropout,
// return_sequences / return_state / go_backwards and the config. Each runs nabla::recurrent (ops/recurrent.h):
// the input projection of all timesteps as one GEMM, one GEMM and one fused gate pass per step.
//
// Weights as Keras 3 holds them, in its cell ("cell" in a .keras file): kernel [F, G*units], recurrent_kernel
// [units, G*units], bias. Masks from Embedding(mask_zero=True) or Masking: a masked step keeps the states and
// repeats the previous output; with return_sequences the output carries the input's mask on.
//
// Initial states: call the layer on {x, h0} (LSTM: {x, h0, c0}), as Keras's initial_state=. return_state gives
// several outputs, which a layer of a nabla model cannot return: call_with_states() returns the output and the
// final states (Keras's [output, *states]).
#include <optional>

#include "nabla/core/random.h"
#include "nabla/nn/layer.h"
#include "nabla/ops/recurrent.h"

namespace nabla::nn {

struct RecurrentOptions {
  std::string activation = "tanh";
  std::string recurrent_activation = "sigmoid";  // LSTM and GRU gates
  bool use_bias = true;
  Initializer kernel_initializer = "glorot_uniform";
  Initializer recurrent_initializer = "orthogonal";
  Initializer bias_initializer = "zeros";
  bool unit_forget_bias = true;  // LSTM: the forget gate's bias starts at 1
  bool reset_after = true;       // GRU: Keras 3's default (PyTorch's GRU); the only form nabla runs
  Regularizer kernel_regularizer;
  Regularizer recurrent_regularizer;
  Regularizer bias_regularizer;
  double dropout = 0;            // of the inputs, one mask per sequence (the same at every step)
  double recurrent_dropout = 0;  // of the state fed to the recurrent kernel, one mask per sequence
  bool return_sequences = false;
  bool return_state = false;
  bool go_backwards = false;
  bool unroll = false;                // accepted for Keras configs; the computation is the same
  bool zero_output_for_mask = false;  // masked steps output zeros (Bidirectional sets it with return_sequences)
  std::optional<int64_t> seed;        // of the dropout masks
  std::vector<int64_t> input_shape;   // only for the first layer of a Sequential
};

class RecurrentLayer : public Layer {
 public:
  RecurrentLayer(std::string type, RecurrentCell cell, int64_t units, RecurrentOptions opts);
  using Layer::call;
  Tensor call(const Tensor& x, bool training) override;
  // {x, initial states...}: Keras's initial_state (h; LSTM: h, c), each [batch, units].
  Tensor call(const std::vector<Tensor>& xs, bool training) override;
  Tensor call_masked(const Tensor& x, const Tensor& mask, bool training) override;
  // Keras's layer(x, initial_state=..., mask=...) with return_state: {output, h} (LSTM {output, h, c}).
  std::vector<Tensor> call_with_states(const Tensor& x, const std::vector<Tensor>& initial_state = {},
                                       const Tensor& mask = Tensor(), bool training = false);
  // return_sequences: the input's mask; otherwise none (Keras).
  Tensor compute_mask(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks) const override;
  void build(const std::vector<Shape>& in) override;
  Shape compute_output_shape(const std::vector<Shape>& in) const override;
  nlohmann::json get_config() const override;
  std::vector<Generator*> seed_generators() override {
    return gen_ ? std::vector<Generator*>{&*gen_} : std::vector<Generator*>{};
  }

  int64_t units() const { return units_; }
  RecurrentCell cell() const { return cell_; }
  const RecurrentOptions& options() const { return opts_; }
  // Bidirectional sets these on its copies, as Keras does.
  void set_go_backwards(bool on) { opts_.go_backwards = on; }
  void set_zero_output_for_mask(bool on) { opts_.zero_output_for_mask = on; }
  Tensor kernel() const { return weight("kernel"); }
  Tensor recurrent_kernel() const { return weight("recurrent_kernel"); }
  Tensor bias() const { return opts_.use_bias ? weight("bias") : Tensor(); }
  int num_states() const { return cell_ == RecurrentCell::lstm ? 2 : 1; }

 protected:
  // The options every recurrent layer's config holds (Keras's RNN and cell keys); who names the class.
  static RecurrentOptions options_from_config(const nlohmann::json& c, const std::string& who);
  static int64_t units_from_config(const nlohmann::json& c, const std::string& who);

 private:
  std::vector<Tensor> run(const Tensor& x, const std::vector<Tensor>& initial_state, const Tensor& mask,
                          bool training, bool all_states);
  RecurrentCell cell_;
  int64_t units_;
  RecurrentOptions opts_;
  std::optional<Generator> gen_;
};

}  // namespace nabla::nn
