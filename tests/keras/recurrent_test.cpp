// SimpleRNN, LSTM, GRU, Bidirectional and TimeDistributed against Keras 3 (issue 21): make_recurrent_fixtures.py
// built each model in Keras, recorded its config, weights, inputs and results (recurrent_fixtures.json) and saved
// some as .keras files; nabla rebuilds the model from the config (or loads the file), sets the same weights and
// must compute the same numbers: masked sequences (holes at the start, middle and end), return_sequences,
// go_backwards, every Bidirectional merge mode, initial states and return_state, and one SGD step.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "keras/keras_fixtures.h"
#include "nabla/nabla.h"
#include "nabla/nn/bidirectional.h"
#include "nabla/nn/gru.h"
#include "nabla/nn/lstm.h"
#include "nabla/nn/simple_rnn.h"
#include "nabla/nn/time_distributed.h"
#include "nabla/train/functional.h"
#include "test_util.h"

namespace nabla {
namespace {

using keras_check::expect_keras_close;
using keras_check::tensor;
using nlohmann::json;

const json& rnn_case(const std::string& name) {
  static const json all = [] {
    std::string path = std::string(NABLA_TESTS_DIR) + "/keras/recurrent_fixtures.json";
    std::ifstream in(path);
    if (!in) throw std::runtime_error("fixture file " + path + " is missing (make_recurrent_fixtures.py writes it)");
    return json::parse(in);
  }();
  for (const json& c : all.at("cases"))
    if (c.at("name") == name) return c;
  throw std::runtime_error("no recurrent fixture case " + name);
}

std::shared_ptr<Model> keras_model(const json& c) {
  const json& cfg = c.at("config");
  std::shared_ptr<Model> m;
  if (cfg.contains("input_layers"))
    m = Functional::from_config(cfg);
  else
    m = Sequential::from_config(cfg);
  m->build_if_possible();
  std::vector<Tensor> ws;
  for (const json& w : c.at("weights")) ws.push_back(tensor(w, "", f32));
  m->set_weights(ws);
  return m;
}

void expect_model_matches(const std::string& name, DType input_dtype = f32) {
  SCOPED_TRACE(name);
  const json& c = rnn_case(name);
  auto m = keras_model(c);
  expect_keras_close(m->predict(tensor(c, "x", input_dtype)), tensor(c, "expected"), name);
}

TEST(Recurrent, MaskedLSTMMatchesKeras) {
  expect_model_matches("masking_lstm_sequences");
  expect_model_matches("masking_lstm_last");
  expect_model_matches("unmasked_lstm_backwards");
}

TEST(Recurrent, MaskedGRUMatchesKeras) {
  expect_model_matches("masking_gru_sequences_backwards");
  expect_model_matches("masking_gru_last");
}

TEST(Recurrent, MaskedSimpleRNNMatchesKeras) {
  expect_model_matches("masking_simple_rnn_sequences");
  expect_model_matches("masking_simple_rnn_last_backwards");
}

TEST(Recurrent, BidirectionalMergeModesMatchKeras) {
  for (const char* mode : {"concat", "sum", "mul", "ave"}) expect_model_matches(std::string("bidirectional_lstm_") + mode);
  expect_model_matches("bidirectional_gru_last_dense");
}

TEST(Recurrent, TimeDistributedMatchesKeras) { expect_model_matches("lstm_time_distributed_dense"); }

TEST(Recurrent, EmbeddingMaskZeroLSTMGRUMatchesKeras) { expect_model_matches("embedding_lstm_gru_dense", i64); }

// Keras's layer(x, initial_state=..., mask=...) with return_sequences and return_state.
TEST(Recurrent, InitialStateAndReturnStateMatchKeras) {
  for (const char* name : {"lstm_initial_state_return_state", "gru_initial_state_return_state",
                           "simplernn_initial_state_return_state"}) {
    SCOPED_TRACE(name);
    const json& c = rnn_case(name);
    auto layer = std::dynamic_pointer_cast<nn::RecurrentLayer>(nn::deserialize_layer(c.at("layer")));
    ASSERT_TRUE(layer != nullptr);
    ASSERT_TRUE(layer->built());
    for (size_t i = 0; i < layer->weights().size(); ++i)
      layer->weights()[i].value.copy_(tensor(c.at("weights")[i], "", f32));
    std::vector<Tensor> states;
    for (const json& s : c.at("states")) states.push_back(tensor(s, "", f32));
    auto outs = layer->call_with_states(tensor(c, "x", f32), states, tensor(c, "mask", f32));
    ASSERT_EQ(outs.size(), c.at("outputs").size());
    for (size_t i = 0; i < outs.size(); ++i)
      expect_keras_close(outs[i], tensor(c.at("outputs")[i], ""), std::string(name) + " output " + std::to_string(i));
  }
}

// The gradients of a masked LSTM through a Keras SGD step: the loss and the weights after the step.
TEST(Recurrent, MaskedLSTMSGDStepMatchesKeras) {
  const json& c = rnn_case("masked_lstm_sgd_step");
  auto m = keras_model(c);
  m->compile(std::make_shared<optim::SGD>(0.5), "mse");
  auto logs = m->train_on_batch(tensor(c, "x", f32), tensor(c, "y", f32));
  EXPECT_NEAR(logs.at("loss"), c.at("train_on_batch").at("loss").get<double>(), 2e-5);
  auto ws = m->get_weights();
  ASSERT_EQ(ws.size(), c.at("weights_after_step").size());
  for (size_t i = 0; i < ws.size(); ++i)
    expect_keras_close(ws[i], tensor(c.at("weights_after_step")[i], ""), "weight " + std::to_string(i));
}

// Masked and unmasked runs agree on the unmasked steps: padding at the end changes nothing before it, and the
// final state of a right-padded sequence is the state after its last real step.
TEST(Recurrent, MaskedAndUnmaskedRunsAgreeOnUnmaskedSteps) {
  for (const char* type : {"LSTM", "GRU", "SimpleRNN"}) {
    SCOPED_TRACE(type);
    nn::RecurrentOptions o{.return_sequences = true};
    nn::LayerPtr layer = std::string(type) == "LSTM"  ? nn::LayerPtr(layers::LSTM(5, o))
                         : std::string(type) == "GRU" ? nn::LayerPtr(layers::GRU(5, o))
                                                      : nn::LayerPtr(layers::SimpleRNN(5, o));
    Tensor x = Tensor::uniform(Shape{2, 4, 3}, -1, 1);
    Tensor padded = concat({x, Tensor::zeros(Shape{2, 3, 3})}, 1);
    Tensor mask = concat({Tensor::ones(Shape{2, 4}), Tensor::zeros(Shape{2, 3})}, 1);
    Tensor plain = (*layer)(x);
    auto [masked, out_mask] = layer->call_with_mask({padded}, {mask}, false);
    testing::expect_close(masked.slice(1, 0, 4), plain, 1e-6, 1e-6);
    for (int64_t t = 4; t < 7; ++t) testing::expect_close(select(masked, 1, t), select(plain, 1, 3), 1e-6, 1e-6);
    ASSERT_TRUE(out_mask.defined());  // return_sequences passes the mask on
  }
}

// .keras files that Keras 3 saved: the weights sit in the layers' cells (layers/lstm/cell/vars,
// layers/bidirectional/forward_layer/cell/vars); nabla loads them and predicts as Keras did, then saves and
// reloads its own file with the same layout.
TEST(Recurrent, KerasSavedRecurrentModelsLoadAndRoundTrip) {
  const std::string dir = std::string(NABLA_TESTS_DIR) + "/keras/";
  struct File {
    const char* file;
    const char* fixture;
    DType dtype;
  };
  for (const File& f : {File{"recurrent_embedding_lstm_gru.keras", "embedding_lstm_gru_dense", i64},
                        File{"recurrent_bidirectional_gru.keras", "bidirectional_gru_last_dense", f32}}) {
    SCOPED_TRACE(f.file);
    const json& c = rnn_case(f.fixture);
    auto m = load_model(dir + f.file);
    Tensor x = tensor(c, "x", f.dtype);
    expect_keras_close(m->predict(x), tensor(c, "expected"), f.file);
    const std::string path = testing::temp_dir() + "/roundtrip.keras";
    m->save(path);
    auto back = load_model(path);
    testing::expect_close(back->predict(x), m->predict(x), 0, 0);
  }
}

TEST(Recurrent, ConfigsRoundTrip) {
  std::vector<nn::LayerPtr> ls{
      layers::LSTM(3, {.activation = "relu", .unit_forget_bias = false, .dropout = 0.25, .return_sequences = true,
                       .go_backwards = true, .seed = 7}),
      layers::GRU(4, {.recurrent_activation = "hard_sigmoid", .use_bias = false, .recurrent_dropout = 0.5}),
      layers::SimpleRNN(2, {.return_state = true}),
      layers::Bidirectional(layers::LSTM(3, {.return_sequences = true}), "sum"),
      layers::TimeDistributed(layers::Dense(2, "tanh"))};
  for (const auto& l : ls) {
    SCOPED_TRACE(l->type());
    json j = nn::serialize_layer(*l);
    auto back = nn::deserialize_layer(j);
    EXPECT_EQ(nn::serialize_layer(*back), j);
  }
}

TEST(Recurrent, ClearErrors) {
  testing::expect_error_contains([] { layers::GRU(3, {.reset_after = false}); }, {"reset_after=False"});
  testing::expect_error_contains([] { layers::LSTM(3, {.activation = "gelu"}); }, {"LSTM", "gelu"});
  testing::expect_error_contains([] { layers::Bidirectional(layers::Dense(3)); }, {"Bidirectional", "Dense"});
  auto l = layers::LSTM(3, {.return_state = true});
  testing::expect_error_contains([&] { (*l)(Tensor::zeros(Shape{1, 2, 3})); }, {"return_state", "call_with_states"});
  auto g = layers::GRU(3);
  (*g)(Tensor::zeros(Shape{1, 2, 3}));
  testing::expect_error_contains([&] { (*g)(Tensor::zeros(Shape{1, 2, 4})); }, {"GRU", "(None, timesteps, 3)", "(1, 2, 4)"});
}

}  // namespace
}  // namespace nabla
