// Training that runs but does not learn, on MNIST: what nabla's data checks and Diagnostics callback say.
//   1. pixels left at 0-255;
//   2. a hidden layer initialised so that every ReLU is dead;
//   3. sigmoid units saturated by huge inputs;
//   4. a learning rate far too low — and the LR range test that finds a good one.
// The last run applies the advice and reports its test accuracy (the CI example test reads that line).
#include <iostream>

#include <nabla/nabla.h>
using namespace nabla;

namespace {

std::unique_ptr<Sequential> mlp(const std::string& hidden_activation) {
  return std::make_unique<Sequential>(std::vector<nn::LayerPtr>{layers::Flatten({28, 28}),
                                                                layers::Dense(64, hidden_activation),
                                                                layers::Dense(10, "softmax")},
                                      "mlp");
}

std::shared_ptr<debug::Diagnostics> diagnostics() {
  return std::make_shared<debug::Diagnostics>(debug::DiagnosticsOptions{.every = 25, .flat_after = 100});
}

}  // namespace

int main() {
  auto [train, test] = datasets::mnist::load_data();
  const int64_t n = 4000;
  Tensor raw = slice(train.images, 0, 0, n).to(f32);
  Tensor x = raw / 255.0, y = slice(train.labels, 0, 0, n);
  Tensor x_test = test.images.to(f32) / 255.0;

  std::cout << "=== data check of the raw pixels ===\n" << debug::check_dataset(raw, y, {.num_classes = 10}).str();

  std::cout << "\n=== 1. training on pixels left at 0-255 ===\n";
  {
    manual_seed(1);
    auto model = mlp("sigmoid");
    model->compile(std::make_shared<optim::SGD>(0.1), "sparse_categorical_crossentropy", {"accuracy"});
    model->fit(raw, y, {.epochs = 1, .verbose = 0, .callbacks = {diagnostics()}});
  }

  std::cout << "\n=== 2. every ReLU dead (hidden biases initialised to -10) ===\n";
  {
    manual_seed(2);
    auto model = mlp("relu");
    model->compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
    model->build_if_possible();
    model->layers()[1]->weights()[1].value.fill_(-10.0);
    model->fit(x, y, {.epochs = 1, .verbose = 0, .callbacks = {diagnostics()}});
  }

  std::cout << "\n=== 3. sigmoid saturation with huge inputs (x * 1000) ===\n";
  {
    manual_seed(3);
    auto model = mlp("sigmoid");
    model->compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
    model->fit(x * 1000.0, y, {.epochs = 1, .verbose = 0, .callbacks = {diagnostics()}});
  }

  std::cout << "\n=== 4. learning rate 1e-6, then the LR range test ===\n";
  double lr = 1e-3;
  {
    manual_seed(4);
    auto model = mlp("relu");
    model->compile(std::make_shared<optim::SGD>(1e-6), "sparse_categorical_crossentropy", {"accuracy"});
    model->fit(x, y, {.epochs = 1, .verbose = 0, .callbacks = {diagnostics()}});
    auto r = debug::lr_range_test(*model, x, y, {.start_lr = 1e-6, .end_lr = 10, .steps = 200,
                                                 .csv_path = "lr_range_test.csv"});
    lr = r.suggested_lr;
  }

  std::cout << "\n=== fixed: scaled pixels, ReLU with default init, SGD at the suggested rate " << lr << " ===\n";
  manual_seed(5);
  auto model = mlp("relu");
  model->compile(std::make_shared<optim::SGD>(lr), "sparse_categorical_crossentropy", {"accuracy"});
  auto diag = diagnostics();
  model->fit(slice(train.images, 0, 0, 20000).to(f32) / 255.0, slice(train.labels, 0, 0, 20000),
             {.epochs = 2, .verbose = 0, .callbacks = {diag}});
  std::cout << diag->report();
  auto result = model->evaluate(x_test, test.labels, {.verbose = 0});
  std::cout << "Test accuracy: " << result["accuracy"] << std::endl;
}
