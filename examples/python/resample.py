# The seed's "Sampling" block: scikit-learn's resample on numpy arrays that came from nabla. The block uses
# train_data, train_labels and np without defining them: the MNIST lines of the training-loop block (imports
# changed) and `import numpy as np` / `train_data = train_images` come first.
import numpy as np
import nabla as tf

(train_images, train_labels), (test_images, test_labels) = tf.keras.datasets.mnist.load_data()
train_images = train_images / 255.0  # Normalize the images
train_data = train_images

# --- the seed's block ---
# Oversample the minority class
from sklearn.utils import resample

# Separate majority and minority classes
majority_class = train_data[train_labels == 0]
minority_class = train_data[train_labels == 1]

# Upsample minority class
minority_upsampled = resample(minority_class, replace=True, n_samples=len(majority_class), random_state=42)
train_data_balanced = np.vstack([majority_class, minority_upsampled])
print("balanced:", train_data_balanced.shape)
