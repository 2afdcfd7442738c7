// A Transformer encoder on text: is a review sentence positive or negative? The data is UCI's Sentiment
// Labelled Sentences (3,000 sentences from Amazon, IMDb and Yelp reviews, installed by scripts/setup from the npm
// package sentiment), split 80/20 as Keras's imdb.load_data splits.
//
//   texts -> TextVectorization (vocabulary from the training sentences, 24 tokens a sentence)
//   ids [N, 24] -> Embedding(vocab, 32, mask_zero) + PositionEmbedding(24)
//               -> encoder block: MultiHeadAttention(2 heads, key_dim 16) + residual -> LayerNormalization
//                                 -> Dense(64, relu) -> Dense(32) + residual -> LayerNormalization
//               -> GlobalAveragePooling1D (over the words, not the padding) -> Dropout(0.3) -> Dense(1, sigmoid)
//
// The padding's mask (mask_zero) reaches the attention, which attends to words only, and the pooling. Training
// stops when the loss on a held-out tenth stops improving and keeps the best weights. The last line is the test
// accuracy (the example test asks for >= 0.70).
#include <cstdio>

#include <nabla/nabla.h>
using namespace nabla;

namespace {

constexpr int64_t kLen = 24, kDim = 32;

KerasTensor encoder_block(const KerasTensor& x) {
  auto att = apply_layer(layers::MultiHeadAttention(2, 16, {.dropout = 0.1}), {x, x});
  auto h = apply_layer(layers::LayerNormalization(), apply_layer(layers::Add(), {x, att}));
  auto ff = apply_layer(layers::Dense(kDim), apply_layer(layers::Dense(64, "relu"), h));
  return apply_layer(layers::LayerNormalization(), apply_layer(layers::Add(), {h, ff}));
}

}  // namespace

int main() {
  manual_seed(3);
  auto [train, test] = datasets::sentiment_sentences::load_data();
  std::printf("%zu training and %zu test sentences, e.g. \"%s\" (label %lld)\n", train.texts.size(),
              test.texts.size(), train.texts[0].c_str(), static_cast<long long>(train.labels.to_vector<int64_t>()[0]));

  data::TextVectorization vectorize({.output_sequence_length = kLen});
  vectorize.adapt(train.texts);
  Tensor x_train = vectorize(train.texts), x_test = vectorize(test.texts);
  std::printf("vocabulary: %lld tokens (with \"\" and [UNK])\n", static_cast<long long>(vectorize.vocabulary_size()));

  auto ids = Input({kLen}, "tokens");
  auto tok = apply_layer(layers::Embedding(vectorize.vocabulary_size(), kDim, {.mask_zero = true}), ids);
  auto h = apply_layer(layers::Add(), {tok, apply_layer(layers::PositionEmbedding(kLen), tok)});
  h = apply_layer(layers::GlobalAveragePooling1D(), encoder_block(h));
  auto out = apply_layer(layers::Dense(1, "sigmoid"), apply_layer(layers::Dropout(0.3), h));
  Functional model(ids, out, "text_sentiment");
  model.summary();

  model.compile(std::make_shared<optim::Adam>(1e-3), "binary_crossentropy", {"accuracy"});
  Tensor y_train = train.labels.to(f32), y_test = test.labels.to(f32);
  // 2,400 sentences overfit within a few epochs: hold out 10% and keep the weights of the best validation loss.
  auto stop = std::make_shared<callbacks::EarlyStopping>(
      callbacks::EarlyStoppingOptions{.monitor = "val_loss", .patience = 2, .restore_best_weights = true});
  model.fit(x_train, y_train,
            {.epochs = 20, .batch_size = 32, .verbose = 2, .callbacks = {stop}, .validation_split = 0.1});
  auto result = model.evaluate(x_test, y_test, {.batch_size = 256, .verbose = 0});
  std::printf("Test accuracy: %.4f\n", result["accuracy"]);
  return 0;
}
