// Writes W4's model (bench_util.h's make_mnist_mlp: the reference MNIST MLP with its initial weights) as an ONNX
// file through save_model, for ort_infer.cjs to time in ONNX Runtime beside mnist_infer_bench. The cost of a
// forward pass does not depend on the weights' values. Usage: export_mlp_onnx PATH [--seed S]
#include "bench_util.h"
using namespace nabla;

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]).rfind("--", 0) == 0) {
    std::cerr << "usage: export_mlp_onnx PATH [--seed S]\n";
    return 2;
  }
  bench::Args args = bench::parse_args(argc - 1, argv + 1, "export_mlp_onnx PATH", {.epochs = 0});
  manual_seed(args.seed);
  auto model = bench::make_mnist_mlp();
  model->build_if_possible();
  save_model(*model, argv[1]);
  std::cout << argv[1] << ": " << model->count_params() << " parameters\n";
}
