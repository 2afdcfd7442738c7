// nabla_model_interop_tool: the C++ side of io.interop.keras3_model (keras_model_interop.py). Data and results
// travel as JSON ({"x": [tensor, ...], "y": tensor}; tensor = {"dtype", "shape", "data"}).
//   save MODEL OUT.keras DATA.json OUT.json   builds MODEL (mlp | cnn | two_input), trains one epoch (batch 8,
//                                             no shuffle), saves OUT.keras, writes its predictions on x
//   resume IN DATA.json OUT.json              load_model (.keras, or legacy .h5 for io.interop.tf_keras_h5); writes
//                                             predictions ("before"), trains one more epoch the same way, writes
//                                             predictions ("after") and the optimizer's iterations
#include <iostream>
#include <nlohmann/json.hpp>

#include "nabla/core/atomic_file.h"
#include "nabla/core/parallel.h"
#include "nabla/io/model_file.h"
#include "nabla/nn/bidirectional.h"
#include "nabla/nn/gru.h"
#include "nabla/nn/lstm.h"
#include "nabla/nabla.h"

using nlohmann::json;
using namespace nabla;

namespace {

json tensor_json(const Tensor& t) {
  json data = json::array();
  NABLA_DISPATCH_ALL(t.dtype(), T, {
    Tensor c = t.contiguous();
    for (int64_t i = 0; i < c.numel(); ++i) data.push_back(c.data<T>()[i]);
  });
  return {{"dtype", dtype_name(t.dtype())}, {"shape", t.shape().vec()}, {"data", data}};
}

Tensor tensor_from(const json& j) {
  Shape shape(j.at("shape").get<std::vector<int64_t>>());
  const std::string dt = j.at("dtype").get<std::string>();
  for (DType d : {f32, i64}) {
    if (dt != dtype_name(d)) continue;
    Tensor t = Tensor::empty(shape, d);
    const json& data = j.at("data");
    if (int64_t(data.size()) != t.numel()) throw ValueError("tensor data has the wrong length");
    NABLA_DISPATCH_ALL(d, T, {
      for (int64_t i = 0; i < t.numel(); ++i) t.data<T>()[i] = data[size_t(i)].get<T>();
    });
    return t;
  }
  throw ValueError("unsupported dtype " + dt);
}

struct Data {
  std::vector<Tensor> xs;
  Tensor y;
};

Data read_data(const std::string& path) {
  json j = json::parse(read_file(path, "model interop tool"));
  Data d;
  for (const auto& x : j.at("x")) d.xs.push_back(tensor_from(x));
  d.y = tensor_from(j.at("y"));
  return d;
}

std::shared_ptr<Model> build(const std::string& name) {
  std::shared_ptr<Model> m;
  if (name == "attention") {  // causal self-attention (a node's keyword argument) and LayerNormalization
    auto x = Input({6, 4}, "x");
    auto a = apply_layer(layers::MultiHeadAttention(2, 3), {x, x}, {{"use_causal_mask", true}});
    auto h = apply_layer(layers::LayerNormalization(), apply_layer(layers::Add(), {x, a}));
    m = std::make_shared<Functional>(
        x, apply_layer(layers::Dense(3, "softmax"), apply_layer(layers::GlobalAveragePooling1D(), h)), "attention");
  } else if (name == "mlp") {
    m = std::make_shared<Sequential>(std::vector<nn::LayerPtr>{layers::Dense(16, "relu", {.input_shape = {6}}),
                                                               layers::Dense(3, "softmax")},
                                     "mlp");
  } else if (name == "cnn") {
    m = std::make_shared<Sequential>(
        std::vector<nn::LayerPtr>{layers::Conv2D(4, 3, "relu", {.input_shape = {8, 8, 1}}), layers::MaxPooling2D(),
                                  layers::BatchNormalization(), layers::Dropout(0.25), layers::Flatten(),
                                  layers::Dense(3, "softmax")},
        "cnn");
  } else if (name == "two_input") {
    auto a = Input({6}, "a"), b = Input({6}, "b");
    auto shared = layers::Dense(5, "relu");
    auto h = apply_layer(layers::Concatenate(), {apply_layer(shared, a), apply_layer(shared, b)});
    m = std::make_shared<Functional>(std::vector<KerasTensor>{a, b},
                                     std::vector<KerasTensor>{apply_layer(layers::Dense(3, "softmax"), h)}, "two_input");
  } else if (name == "rnn") {  // recurrent layers: weights in the cells (layers/lstm/cell/vars, ...)
    m = std::make_shared<Sequential>(
        std::vector<nn::LayerPtr>{layers::LSTM(8, {.return_sequences = true, .input_shape = {5, 4}}),
                                  layers::Bidirectional(layers::GRU(4)), layers::Dense(3, "softmax")},
        "rnn");
  } else {
    throw ValueError("unknown model '" + name + "' (mlp, cnn, two_input, rnn)");
  }
  m->compile(std::make_shared<optim::Adam>(0.01), "sparse_categorical_crossentropy", {"accuracy"});
  return m;
}

const FitOptions kEpoch{.epochs = 1, .batch_size = 8, .verbose = 0, .shuffle = false};

json predictions(Model& m, const Data& d) { return tensor_json(m.predict(d.xs, {.verbose = 0}).at(0)); }

int run(int argc, char** argv) {
  set_num_threads(1);
  manual_seed(7);
  const std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "save" && argc == 6) {
    auto m = build(argv[2]);
    Data d = read_data(argv[4]);
    m->fit(d.xs, {d.y}, kEpoch);
    save_model(*m, argv[3]);
    write_file_atomic(argv[5], json{{"pred", predictions(*m, d)}}.dump(), "model interop tool");
  } else if (cmd == "resume" && argc == 5) {
    auto m = load_model(argv[2]);
    Data d = read_data(argv[3]);
    json out = {{"before", predictions(*m, d)}};
    m->fit(d.xs, {d.y}, kEpoch);
    out["after"] = predictions(*m, d);
    out["iterations"] = m->optimizer().iterations();
    write_file_atomic(argv[4], out.dump(), "model interop tool");
  } else {
    throw ValueError("usage: see the comment at the top of model_interop_tool.cpp");
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "nabla_model_interop_tool: " << e.what() << "\n";
    return 1;
  }
}
