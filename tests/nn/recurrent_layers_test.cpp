// The recurrent layers' own behaviour (issue 21): Keras's initial weights (orthogonal recurrent kernel, the
// forget gate's bias), shapes in Sequential and functional models, initial states as inputs, dropout only in
// training, padded steps that change nothing in a fit step, Bidirectional and TimeDistributed shapes and weights.
// The numbers against Keras and PyTorch are in tests/keras/recurrent_test.cpp and tests/torch/.
#include "nabla/nn/bidirectional.h"
#include "nabla/nn/gru.h"
#include "nabla/nn/lstm.h"
#include "nabla/nn/simple_rnn.h"
#include "nabla/nn/time_distributed.h"
#include "nabla/train/functional.h"
#include "test_util.h"

namespace nabla {
namespace {

TEST(RecurrentLayers, KerasInitialWeights) {
  auto l = layers::LSTM(8);
  l->ensure_built({Shape{-1, 5, 3}});
  ASSERT_EQ(l->weights().size(), 3u);
  EXPECT_EQ(l->kernel().shape(), Shape({3, 32}));
  EXPECT_EQ(l->recurrent_kernel().shape(), Shape({8, 32}));
  // Orthogonal [8, 32]: wider than tall, so its rows are orthonormal (Keras's Orthogonal).
  Tensor u = l->recurrent_kernel().detach().to(f64);
  Tensor eye = Tensor::zeros({8, 8}, f64);
  for (int i = 0; i < 8; ++i) eye.data<double>()[i * 9] = 1;
  testing::expect_close(matmul(u, u.t()), eye, 1e-6, 0);
  // unit_forget_bias: zeros, ones for the forget gate (i, f, c, o).
  std::vector<float> b = l->bias().to_vector<float>();
  for (int j = 0; j < 32; ++j) EXPECT_EQ(b[size_t(j)], j >= 8 && j < 16 ? 1.0f : 0.0f) << j;
  auto g = layers::GRU(4);
  g->ensure_built({Shape{-1, 5, 3}});
  EXPECT_EQ(g->bias().shape(), Shape({2, 12}));  // reset_after: input and recurrent bias
  auto s = layers::SimpleRNN(4, {.use_bias = false});
  s->ensure_built({Shape{-1, 5, 3}});
  EXPECT_EQ(s->weights().size(), 2u);
}

TEST(RecurrentLayers, ShapesInModels) {
  Sequential m({layers::LSTM(6, {.return_sequences = true, .input_shape = {5, 3}}),
                layers::Bidirectional(layers::GRU(4, {.return_sequences = true})),
                layers::TimeDistributed(layers::Dense(2)), layers::SimpleRNN(3)});
  Tensor y = m.predict(Tensor::uniform({7, 5, 3}, -1, 1));
  EXPECT_EQ(y.shape(), Shape({7, 3}));
  auto shapes = m.layer_output_shapes();
  EXPECT_EQ(shapes[1].second, Shape({-1, 5, 8}));  // concat of both directions
  EXPECT_EQ(shapes[2].second, Shape({-1, 5, 2}));
  // Bidirectional's weights are its two layers' (kernel, recurrent_kernel, bias each), TimeDistributed's Dense's.
  EXPECT_EQ(m.layers()[1]->weights().size(), 6u);
  EXPECT_EQ(m.layers()[2]->weights().size(), 2u);
  EXPECT_EQ(m.trainable_weights().size(), 3u + 6u + 2u + 3u);
}

// Keras's layer(x, initial_state=[h, c]) in a functional model: the states are further inputs.
TEST(RecurrentLayers, InitialStatesAsFunctionalInputs) {
  auto x = Input({4, 3}, "x"), h = Input({5}, "h"), c = Input({5}, "c");
  auto lstm = layers::LSTM(5);
  auto y = apply_layer(lstm, {x, h, c});
  Functional m({x, h, c}, {y});
  Tensor xs = Tensor::uniform({2, 4, 3}, -1, 1), hs = Tensor::uniform({2, 5}, -1, 1), cs = Tensor::uniform({2, 5}, -1, 1);
  Tensor out = m.predict({xs, hs, cs}).at(0);
  auto direct = lstm->call_with_states(xs, {hs, cs});
  testing::expect_close(out, direct[0], 1e-6, 1e-6);
  // Other initial states give other outputs.
  Tensor zero = m.predict({xs, Tensor::zeros({2, 5}), Tensor::zeros({2, 5})}).at(0);
  EXPECT_GT(abs(out - zero).max().item(), 1e-3);
}

TEST(RecurrentLayers, DropoutOnlyInTraining) {
  auto l = layers::GRU(6, {.dropout = 0.5, .recurrent_dropout = 0.5, .seed = 3});
  Tensor x = Tensor::uniform({4, 5, 3}, -1, 1);
  Tensor a = (*l)(x, false), b = (*l)(x, false);
  testing::expect_close(a, b, 0, 0);  // inference: deterministic, no dropout
  Tensor t1 = (*l)(x, true), t2 = (*l)(x, true);
  EXPECT_GT(abs(t1 - a).max().item(), 1e-4);   // training drops
  EXPECT_GT(abs(t1 - t2).max().item(), 1e-4);  // fresh masks each call
  ASSERT_EQ(l->seed_generators().size(), 1u);     // saved by BackupAndRestore
}

// A fit step on sequences padded with masked steps (Masking) equals the step on the unpadded sequences: the
// padding changes neither the loss nor the updated weights.
TEST(RecurrentLayers, PaddedStepsChangeNothingInAFitStep) {
  for (const char* type : {"LSTM", "GRU", "SimpleRNN"}) {
    SCOPED_TRACE(type);
    auto make = [&](bool masking) {
      manual_seed(5);
      std::vector<nn::LayerPtr> ls;
      if (masking) ls.push_back(layers::Masking(0.0, {6, 3}));
      nn::RecurrentOptions o;
      if (!masking) o.input_shape = {4, 3};
      ls.push_back(std::string(type) == "LSTM"  ? nn::LayerPtr(layers::LSTM(5, o))
                   : std::string(type) == "GRU" ? nn::LayerPtr(layers::GRU(5, o))
                                                : nn::LayerPtr(layers::SimpleRNN(5, o)));
      ls.push_back(layers::Dense(1));
      auto m = std::make_shared<Sequential>(ls);
      m->compile(std::make_shared<optim::SGD>(0.3), "mse");
      return m;
    };
    Tensor x = Tensor::uniform({3, 4, 3}, 0.1, 1), y = Tensor::uniform({3, 1}, -1, 1);
    Tensor padded = concat({Tensor::zeros({3, 2, 3}), x}, 1);  // left padding, which the state must skip
    auto plain = make(false), masked = make(true);
    double l1 = plain->train_on_batch(x, y).at("loss"), l2 = masked->train_on_batch(padded, y).at("loss");
    EXPECT_NEAR(l1, l2, 1e-6);
    auto w1 = plain->get_weights(), w2 = masked->get_weights();
    ASSERT_EQ(w1.size(), w2.size());
    for (size_t i = 0; i < w1.size(); ++i) testing::expect_close(w1[i], w2[i], 1e-6, 1e-6);
  }
}

TEST(RecurrentLayers, BidirectionalMergeModesAndCallBoth) {
  Tensor x = Tensor::uniform({2, 4, 3}, -1, 1);
  auto none = layers::Bidirectional(layers::LSTM(3, {.return_sequences = true}), "");
  auto [f, b] = none->call_both(x);
  EXPECT_EQ(f.shape(), Shape({2, 4, 3}));
  // The backward direction reads the sequence from the end; put back in input order, its first step has seen
  // the whole sequence, the same as a go_backwards layer's last output.
  auto back = std::static_pointer_cast<nn::RecurrentLayer>(none->backward_layer());
  Tensor last = select((*back)(x), 1, 3);
  testing::expect_close(select(b, 1, 0), last, 1e-6, 1e-6);
  for (const char* mode : {"sum", "mul", "ave", "concat"}) {
    auto l = layers::Bidirectional(layers::LSTM(3, {.return_sequences = true}), mode);
    l->ensure_built({Shape{-1, 4, 3}});
    for (size_t i = 0; i < 6; ++i) l->weights()[i].value.copy_(none->weights()[i].value);
    Tensor y = (*l)(x);
    Tensor want = std::string(mode) == "sum"   ? f + b
                  : std::string(mode) == "mul" ? f * b
                  : std::string(mode) == "ave" ? (f + b) * 0.5
                                               : concat({f, b}, -1);
    testing::expect_close(y, want, 1e-6, 1e-6);
  }
}

}  // namespace
}  // namespace nabla
