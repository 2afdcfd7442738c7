// A small Transformer encoder on a synthetic sequence task: sort 8 digits. Each input is 8 random digits (0-9);
// the target at position i is the i-th smallest digit, so every output position is a 10-way classification that
// needs the whole sequence (how many digits are smaller than each candidate): exactly what self-attention gives.
//
//   ids [N, 8] -> Embedding(10, 32) + PositionEmbedding(8)
//              -> 2 x encoder block: MultiHeadAttention(4 heads, key_dim 8) + residual -> LayerNormalization
//                                    -> Dense(64, relu) -> Dense(32) + residual -> LayerNormalization
//              -> Dense(10, softmax) at every position
//
// Written with the functional API, trained with Adam for 4 epochs on 20000 sequences; the last line is the
// per-digit accuracy on 2000 unseen sequences (the example test asks for >= 0.95; measured 0.9999, with 0.9995 of
// the sequences sorted entirely right, in about 17 s on the shared 2-vCPU machine).
#include <algorithm>
#include <cstdio>
#include <iostream>

#include <nabla/nabla.h>
using namespace nabla;

namespace {

constexpr int64_t kLen = 8, kDigits = 10, kDim = 32;

// n random sequences of digits and their sorted versions, both [n, kLen] int64.
std::pair<Tensor, Tensor> make_data(int64_t n, Generator& gen) {
  std::vector<int64_t> x(size_t(n * kLen)), y(x.size());
  for (size_t i = 0; i < x.size(); ++i) x[i] = int64_t(gen.next_u64() % kDigits);
  for (int64_t r = 0; r < n; ++r) {
    std::copy(x.begin() + r * kLen, x.begin() + (r + 1) * kLen, y.begin() + r * kLen);
    std::sort(y.begin() + r * kLen, y.begin() + (r + 1) * kLen);
  }
  return {Tensor::from_vector(x, Shape{n, kLen}), Tensor::from_vector(y, Shape{n, kLen})};
}

KerasTensor encoder_block(const KerasTensor& x) {
  auto att = apply_layer(layers::MultiHeadAttention(4, 8), {x, x});
  auto h = apply_layer(layers::LayerNormalization(), apply_layer(layers::Add(), {x, att}));
  auto ff = apply_layer(layers::Dense(kDim), apply_layer(layers::Dense(64, "relu"), h));
  return apply_layer(layers::LayerNormalization(), apply_layer(layers::Add(), {h, ff}));
}

}  // namespace

int main() {
  manual_seed(7);
  Generator gen(2026);
  auto [x_train, y_train] = make_data(20000, gen);
  auto [x_test, y_test] = make_data(2000, gen);

  auto ids = Input({kLen}, "digits");
  auto tok = apply_layer(layers::Embedding(kDigits, kDim), ids);
  auto h = apply_layer(layers::Add(), {tok, apply_layer(layers::PositionEmbedding(kLen), tok)});
  h = encoder_block(encoder_block(h));
  Functional model(ids, apply_layer(layers::Dense(kDigits, "softmax"), h), "transformer_sort");
  model.summary();

  model.compile(std::make_shared<optim::Adam>(3e-3), "sparse_categorical_crossentropy", {"accuracy"});
  model.fit(x_train, y_train, {.epochs = 4, .batch_size = 64, .verbose = 2});

  // Whole sequences right: every position's argmax equals the sorted digit.
  Tensor pred = argmax(model.predict(x_test, {.batch_size = 256}), -1).to(i64);
  auto p = pred.to_vector<int64_t>(), t = y_test.to_vector<int64_t>();
  int64_t whole = 0;
  for (int64_t r = 0; r < y_test.size(0); ++r)
    whole += std::equal(p.begin() + r * kLen, p.begin() + (r + 1) * kLen, t.begin() + r * kLen);
  auto result = model.evaluate(x_test, y_test, {.batch_size = 256, .verbose = 0});
  std::printf("Sequences sorted entirely right: %.4f\n", double(whole) / double(y_test.size(0)));
  std::printf("Test accuracy: %.4f\n", result["accuracy"]);
  return 0;
}
