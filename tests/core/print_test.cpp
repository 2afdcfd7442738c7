// std::cout << tensor prints as PyTorch does; the bodies below are repr() of the same tensors in PyTorch 1.13
// (Debian's python3-torch), with nabla's shape and dtype suffixes.
#include <sstream>

#include "test_util.h"

namespace nabla {
namespace {

std::string printed(const Tensor& t) {
  std::ostringstream os;
  os << t;
  return os.str();
}

TEST(TensorPrint, FixedIntegerAndScientificStylesAsPyTorch) {
  // torch.tensor([[1.5, 2.0], [3.25, -4.0]])
  EXPECT_EQ(printed(Tensor::from_vector<float>({1.5f, 2.0f, 3.25f, -4.0f}, {2, 2})),
            "tensor([[ 1.5000,  2.0000],\n"
            "        [ 3.2500, -4.0000]], shape=(2, 2), dtype=float32)");
  // torch.tensor([1., 2., 3.]): integral values print as "1."
  EXPECT_EQ(printed(Tensor::from_vector<float>({1, 2, 3})), "tensor([1., 2., 3.], shape=(3,), dtype=float32)");
  // torch.tensor([1e-5, 1.0, 100.0]): a range over 1000x switches to scientific notation
  EXPECT_EQ(printed(Tensor::from_vector<double>({1e-5, 1.0, 100.0})),
            "tensor([1.0000e-05, 1.0000e+00, 1.0000e+02], shape=(3,), dtype=float64)");
  // torch.tensor([nan, 1.0, inf])
  EXPECT_EQ(printed(Tensor::from_vector<float>({NAN, 1.0f, INFINITY})),
            "tensor([nan, 1., inf], shape=(3,), dtype=float32)");
  EXPECT_EQ(printed(Tensor::scalar(3.5)), "tensor(3.5000, shape=(), dtype=float32)");
  EXPECT_EQ(printed(Tensor::zeros({3})), "tensor([0., 0., 0.], shape=(3,), dtype=float32)");
  EXPECT_EQ(printed(Tensor::zeros({2, 0})), "tensor([], shape=(2, 0), dtype=float32)");
  EXPECT_EQ(printed(Tensor::ones({2}).requires_grad_()),
            "tensor([1., 1.], shape=(2,), dtype=float32, requires_grad=True)");
}

TEST(TensorPrint, IntegersAndBlankLinesBetweenBlocks) {
  // torch.arange(24).reshape(2, 3, 4)
  EXPECT_EQ(printed(Tensor::arange(24).reshape({2, 3, 4})),
            "tensor([[[ 0,  1,  2,  3],\n"
            "         [ 4,  5,  6,  7],\n"
            "         [ 8,  9, 10, 11]],\n"
            "\n"
            "        [[12, 13, 14, 15],\n"
            "         [16, 17, 18, 19],\n"
            "         [20, 21, 22, 23]]], shape=(2, 3, 4), dtype=int64)");
}

TEST(TensorPrint, LongRowsWrapAtEightyColumns) {
  // torch.arange(30, dtype=torch.float32) * 1.5
  Tensor t = Tensor::arange(30, f32) * 1.5;
  EXPECT_EQ(printed(t),
            "tensor([ 0.0000,  1.5000,  3.0000,  4.5000,  6.0000,  7.5000,  9.0000, 10.5000,\n"
            "        12.0000, 13.5000, 15.0000, 16.5000, 18.0000, 19.5000, 21.0000, 22.5000,\n"
            "        24.0000, 25.5000, 27.0000, 28.5000, 30.0000, 31.5000, 33.0000, 34.5000,\n"
            "        36.0000, 37.5000, 39.0000, 40.5000, 42.0000, 43.5000], shape=(30,),\n"
            "       dtype=float32)");
}

TEST(TensorPrint, MoreThanAThousandElementsAreElided) {
  // torch.arange(2000, dtype=torch.float32).reshape(40, 50) / 7
  Tensor t = Tensor::arange(2000, f32).reshape({40, 50}) / 7.0;
  EXPECT_EQ(printed(t),
            "tensor([[0.0000e+00, 1.4286e-01, 2.8571e-01,  ..., 6.7143e+00, 6.8571e+00,\n"
            "         7.0000e+00],\n"
            "        [7.1429e+00, 7.2857e+00, 7.4286e+00,  ..., 1.3857e+01, 1.4000e+01,\n"
            "         1.4143e+01],\n"
            "        [1.4286e+01, 1.4429e+01, 1.4571e+01,  ..., 2.1000e+01, 2.1143e+01,\n"
            "         2.1286e+01],\n"
            "        ...,\n"
            "        [2.6429e+02, 2.6443e+02, 2.6457e+02,  ..., 2.7100e+02, 2.7114e+02,\n"
            "         2.7129e+02],\n"
            "        [2.7143e+02, 2.7157e+02, 2.7171e+02,  ..., 2.7814e+02, 2.7829e+02,\n"
            "         2.7843e+02],\n"
            "        [2.7857e+02, 2.7871e+02, 2.7886e+02,  ..., 2.8529e+02, 2.8543e+02,\n"
            "         2.8557e+02]], shape=(40, 50), dtype=float32)");
  // The threshold and precision are torch.set_printoptions's.
  PrintOptions saved = print_options();
  set_printoptions({.precision = 2, .threshold = 4, .edgeitems = 1});
  EXPECT_EQ(printed(Tensor::from_vector<float>({0.5f, 1.25f, 2, 3, 4.75f})),
            "tensor([0.50,  ..., 4.75], shape=(5,), dtype=float32)");
  set_printoptions(saved);
}

}  // namespace
}  // namespace nabla
