"""Writes fixtures/keras_configs.json: what keras.saving.serialize_keras_object writes for the objects that
tests/saving/keras_config_test.cpp builds in nabla. Not run by ctest (it needs Keras); rerun by hand after a Keras
upgrade:  KERAS_BACKEND=numpy python tests/saving/make_keras_configs.py  (Keras 3 with the numpy backend)."""
import json
import os

import keras
from keras import layers
from keras.saving import serialize_keras_object as ser

o = {}
d = layers.Dense(4, activation="relu", name="dense")
d.build((None, 3))
o["dense_built"] = d
o["dense_regularized"] = layers.Dense(4, kernel_regularizer=keras.regularizers.L2(0.01),
                                      bias_regularizer=keras.regularizers.L1(0.02), name="dense_r")
c = layers.Conv2D(8, 3, name="conv2d")
c.build((None, 5, 5, 2))
o["conv2d_built"] = c
o["conv2d_options"] = layers.Conv2D(4, (3, 2), strides=2, padding="same", activation="relu",
                                    kernel_initializer="he_normal", name="conv2d_o")
o["max_pooling2d"] = layers.MaxPooling2D(name="max_pooling2d")
o["max_pooling2d_options"] = layers.MaxPooling2D((3, 3), strides=2, padding="same", name="mp3")
o["average_pooling2d"] = layers.AveragePooling2D(2, name="average_pooling2d")
o["global_average_pooling2d"] = layers.GlobalAveragePooling2D(name="gap")
o["batch_normalization"] = layers.BatchNormalization(name="bn")
o["dropout"] = layers.Dropout(0.5, name="dropout")
o["dropout_seed"] = layers.Dropout(0.25, seed=3, name="dropout_s")
o["embedding"] = layers.Embedding(10, 4, name="embedding")
o["embedding_regularized"] = layers.Embedding(10, 4, embeddings_regularizer=keras.regularizers.L1L2(0.01, 0.001),
                                              name="embedding_r")
o["flatten"] = layers.Flatten(name="flatten")
o["reshape"] = layers.Reshape((2, 3), name="reshape")
o["activation"] = layers.Activation("softmax", name="activation")
o["add"] = layers.Add(name="add")
o["concatenate"] = layers.Concatenate(name="concatenate")
o["input_layer"] = layers.InputLayer(shape=(3,), name="inp")
o["frozen_dense"] = layers.Dense(2, name="frozen", trainable=False)

o["init_glorot_uniform"] = keras.initializers.GlorotUniform()
o["init_he_normal_seed"] = keras.initializers.HeNormal(seed=3)
o["init_zeros"] = keras.initializers.Zeros()
o["init_ones"] = keras.initializers.Ones()
o["init_constant"] = keras.initializers.Constant(0.5)
o["init_random_normal"] = keras.initializers.RandomNormal()
o["init_random_uniform"] = keras.initializers.RandomUniform()
o["init_truncated_normal"] = keras.initializers.TruncatedNormal()
o["init_variance_scaling"] = keras.initializers.VarianceScaling(scale=2.0, mode="fan_out", distribution="uniform")
o["reg_l1"] = keras.regularizers.L1(0.01)
o["reg_l2"] = keras.regularizers.L2(0.02)
o["reg_l1l2"] = keras.regularizers.L1L2(0.01, 0.02)

o["opt_adam"] = keras.optimizers.Adam()
o["opt_adamw"] = keras.optimizers.AdamW()
o["opt_sgd"] = keras.optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True)
o["opt_rmsprop"] = keras.optimizers.RMSprop(clipnorm=1.0)
o["opt_adam_schedule"] = keras.optimizers.Adam(
    learning_rate=keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.9))
o["sched_exponential"] = keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.9, staircase=True)
o["sched_piecewise"] = keras.optimizers.schedules.PiecewiseConstantDecay([10, 20], [0.1, 0.01, 0.001])
o["sched_cosine"] = keras.optimizers.schedules.CosineDecay(0.1, 100, alpha=0.1, warmup_target=0.2, warmup_steps=5)

o["loss_sparse_cce"] = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
o["loss_cce"] = keras.losses.CategoricalCrossentropy(label_smoothing=0.1)
o["loss_bce"] = keras.losses.BinaryCrossentropy()
o["loss_mse"] = keras.losses.MeanSquaredError()
o["loss_mae"] = keras.losses.MeanAbsoluteError()
o["loss_huber"] = keras.losses.Huber()
o["loss_binary_focal"] = keras.losses.BinaryFocalCrossentropy(apply_class_balancing=True, gamma=3.0)
o["loss_categorical_focal"] = keras.losses.CategoricalFocalCrossentropy()

o["metric_sparse_categorical_accuracy"] = keras.metrics.SparseCategoricalAccuracy()
o["metric_categorical_accuracy"] = keras.metrics.CategoricalAccuracy()
o["metric_binary_accuracy"] = keras.metrics.BinaryAccuracy(threshold=0.7)
o["metric_mse"] = keras.metrics.MeanSquaredError()
o["metric_mae"] = keras.metrics.MeanAbsoluteError()
o["metric_mean"] = keras.metrics.Mean()
o["metric_auc"] = keras.metrics.AUC(curve="PR", num_thresholds=50)

# Issue 20's options and classes.
o["relu_layer"] = layers.ReLU(max_value=6.0, negative_slope=0.1, threshold=0.5, name="relu_l")
o["leaky_relu_layer"] = layers.LeakyReLU(negative_slope=0.2, name="leaky")
o["elu_layer"] = layers.ELU(alpha=0.5, name="elu_l")
o["softmax_layer"] = layers.Softmax(name="softmax_l")
o["loss_sparse_cce_ignore"] = keras.losses.SparseCategoricalCrossentropy(ignore_class=255, reduction="sum")
o["loss_mse_none"] = keras.losses.MeanSquaredError(reduction="none")
o["opt_sgd_weight_decay"] = keras.optimizers.SGD(learning_rate=0.1, weight_decay=0.01)
o["metric_accuracy"] = keras.metrics.Accuracy()
o["metric_top_k"] = keras.metrics.TopKCategoricalAccuracy(k=3)
o["metric_sparse_top_k"] = keras.metrics.SparseTopKCategoricalAccuracy()
o["metric_precision"] = keras.metrics.Precision(thresholds=0.3)
o["metric_recall_top_k"] = keras.metrics.Recall(top_k=2, class_id=1)
o["metric_auc_logits"] = keras.metrics.AUC(from_logits=True)

o["sequential"] = keras.Sequential([keras.Input((4,)), layers.Dense(3, activation="relu", name="d1"),
                                    layers.Dense(2, name="d2")], name="seq")
o["sequential_unbuilt"] = keras.Sequential([layers.Dense(3, name="d3")], name="seq2")
a = keras.Input((4,), name="a")
b = keras.Input((3,), name="b")
h = layers.Concatenate(name="cat")([layers.Dense(8, activation="relu", name="da")(a), b])
o["functional"] = keras.Model([a, b], [layers.Dense(1, name="o1")(h),
                                       layers.Dense(3, activation="softmax", name="o2")(h)], name="fun")
x = keras.Input((4,), name="x")
shared = layers.Dense(4, name="sh")
o["functional_shared"] = keras.Model(x, shared(shared(x)), name="fun2")


@keras.saving.register_keras_serializable(package="MyPackage")
class MyLayer(layers.Layer):
    def __init__(self, k=2, **kw):
        super().__init__(**kw)
        self.k = k

    def get_config(self):
        c = super().get_config()
        c["k"] = self.k
        return c


o["custom_layer"] = MyLayer(k=5, name="my")

out = {"keras_version": keras.__version__, "backend": keras.backend.backend(),
       "objects": {k: ser(v) for k, v in o.items()}}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "keras_configs.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1, sort_keys=True)
    f.write("\n")
print("wrote", path, "keras", keras.__version__)
