"""
===========================================
Watching training: the loss curve per epoch
===========================================

After ``fit``, ``loss_curve_`` holds the **mean** loss per training pair of
each epoch (accumulated in float64), so epochs of different lengths are
comparable and the last value is not a running total. An epoch callback
sees the same numbers while training runs, together with the learning
rate, and can stop training early.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import train_test_split

from skw2v import SkipGramVectorizer
from skw2v.datasets import load_bbc_news

docs, y, topics = load_bbc_news()
docs, _, y, _ = train_test_split(
    docs, y, train_size=500, stratify=y, random_state=0)

# %%
# Two learning rates, six epochs each
# -----------------------------------
# A callback records the learning rate at the end of each epoch, from the
# :class:`~skw2v.EpochInfo` it receives. (Returning ``True`` from a
# callback would stop training after that epoch.)
curves, rates = {}, {}
for lr in (0.025, 0.1):
    seen = []

    def record(estimator, info, seen=seen):
        seen.append(info.learning_rate)
        return False

    vec = SkipGramVectorizer(n_components=50, min_count=3, epochs=6,
                             learning_rate=lr, random_state=0,
                             callbacks=record)
    vec.fit(docs)
    curves[lr], rates[lr] = vec.loss_curve_, np.array(seen)
    print(f"learning_rate={lr}: "
          f"{vec.n_pairs_.mean():,.0f} pairs per epoch,"
          f" loss per epoch {np.round(vec.loss_curve_, 3)}")

# %%
# The plot
# --------
# Left: the mean negative-sampling loss per pair. With 5 negatives, a model
# that knows nothing (all scores 0) has loss :math:`6 \log 2 \approx 4.16`.
# Right: the learning rate decays linearly from ``learning_rate`` to
# ``min_learning_rate`` over all epochs.
epochs = np.arange(1, 7)
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.5),
                               layout="constrained")
for lr, curve in curves.items():
    ax1.plot(epochs, curve, marker="o", label=f"learning_rate={lr}")
    ax2.plot(epochs, rates[lr], marker="o",
             label=f"learning_rate={lr}")
ax1.axhline(6 * np.log(2), color="grey", ls="--", lw=1,
            label="untrained (6 log 2)")
ax1.set(xlabel="epoch", ylabel="mean loss per pair",
        title="loss_curve_")
ax2.set(xlabel="epoch", ylabel="learning rate at end of epoch",
        title="linear learning-rate decay")
ax1.legend()
ax2.legend()
plt.show()

# %%
# With the default rate the loss falls fast and then flattens: the steps
# are already small when the vectors still have much to learn. With the
# larger rate the first epochs are worse, since steps that large overshoot,
# but as the rate decays the loss drops below the default's and is still
# falling at the last epoch: on a corpus this small, more epochs would help
# further. The first epoch's mean includes the pairs trained while the
# vectors were still random, which is why it sits well above the others.
#
# ``loss_curve_`` values are comparable across runs with the same loss and
# ``n_negatives``; they are not comparable between ``"negative_sampling"``
# and ``"softmax"``.
