#pragma once
// The recurrent ops behind SimpleRNN, LSTM and GRU (Keras 3 cells, gate orders and masking semantics).
//
// Shape of the work: the input projection of all timesteps is one GEMM ([N*T, F] x [F, G*H]); each step is one
// GEMM of the state by the recurrent kernel plus one fused elementwise pass over the gates; every buffer is
// allocated once per call, none per timestep. Backward mirrors it: one fused elementwise pass and one GEMM per
// step, then the kernel, recurrent kernel and input gradients as three GEMMs over all timesteps.
//
// Weights as Keras stores them: kernel [F, G*H], recurrent_kernel [H, G*H], with the gates in Keras's order
// (LSTM i, f, c, o; GRU z, r, h); bias [G*H], and for GRU with reset_after [2, 3H] (input bias, recurrent bias).
//
// Masking follows keras.backend.rnn: a masked step keeps the previous states and outputs the previous output
// (zeros before the first unmasked step), or zeros with zero_output_for_mask (Bidirectional with
// return_sequences). go_backwards reads the sequence from the end and returns the outputs in that order.
#include <string>

#include "nabla/core/cpu_isa.h"
#include "nabla/core/tensor.h"

namespace nabla {

enum class RecurrentCell { simple_rnn, lstm, gru };

struct RecurrentArgs {
  std::string activation = "tanh";               // tanh, sigmoid, relu, hard_sigmoid or "" / linear
  std::string recurrent_activation = "sigmoid";  // the gates' (LSTM, GRU)
  bool go_backwards = false;
  bool zero_output_for_mask = false;
};

// Whether the recurrent ops support this activation name (they differentiate through the saved outputs).
bool is_recurrent_activation(const std::string& name);

// Runs the cell over x [N, T, F]. Returns one tensor [N, T + S, H]: rows 0..T-1 of axis 1 are the outputs of
// the steps in processing order, then the S final states (SimpleRNN and GRU: h; LSTM: h, c), so that a single
// autograd node carries the gradients of the sequence and of the states. Undefined optional tensors: bias (no
// bias), h0/c0 (zeros), mask [N, T] (any dtype, nonzero = the step counts; none: every step counts),
// recurrent_dropout [N, H] (multiplies the state fed to the recurrent kernel; training's recurrent dropout).
// Differentiable in x, kernel, recurrent_kernel, bias, h0 and c0; float32 or float64.
Tensor recurrent(RecurrentCell cell, const Tensor& x, const Tensor& kernel, const Tensor& recurrent_kernel,
                 const Tensor& bias, const Tensor& h0, const Tensor& c0, const Tensor& mask,
                 const Tensor& recurrent_dropout, const RecurrentArgs& args = {});

// The named forms of recurrent() (GRU is Keras's reset_after=True, which is PyTorch's GRU).
Tensor simple_rnn(const Tensor& x, const Tensor& kernel, const Tensor& recurrent_kernel, const Tensor& bias,
                  const Tensor& h0 = Tensor(), const Tensor& mask = Tensor(), const RecurrentArgs& args = {});
Tensor lstm(const Tensor& x, const Tensor& kernel, const Tensor& recurrent_kernel, const Tensor& bias,
            const Tensor& h0 = Tensor(), const Tensor& c0 = Tensor(), const Tensor& mask = Tensor(),
            const RecurrentArgs& args = {});
Tensor gru(const Tensor& x, const Tensor& kernel, const Tensor& recurrent_kernel, const Tensor& bias,
           const Tensor& h0 = Tensor(), const Tensor& mask = Tensor(), const RecurrentArgs& args = {});

namespace detail {
// For tests: the row kernels of at most `most` (an AVX-512 machine then runs what an AVX2-only one does); returns
// the level now in use. cpu_isa() restores the default.
CpuIsa limit_recurrent_isa(CpuIsa most);
}  // namespace detail

}  // namespace nabla
