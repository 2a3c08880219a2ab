"""
=========================================
Tuning the word vectors with GridSearchCV
=========================================

Because :class:`~skw2v.SkipGramVectorizer` is an ordinary scikit-learn
estimator, its training parameters can be tuned for the task at hand with
:class:`~sklearn.model_selection.GridSearchCV`, together with the
classifier that uses its features. Every candidate retrains the vectors, so
the grid here is tiny: two losses, two window sizes and one dimension, with
2-fold cross-validation on 240 BBC News articles.
"""

# %%
import matplotlib.pyplot as plt
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skw2v import SkipGramVectorizer
from skw2v.datasets import load_bbc_news

docs, y, topics = load_bbc_news()
docs, _, y, _ = train_test_split(
    docs, y, train_size=240, stratify=y, random_state=0)

# %%
# The pipeline and the grid
# -------------------------
# The exact full softmax costs :math:`O(V d)` per training pair, against
# :math:`O(K d)` for negative sampling, so the vocabulary is capped at the
# 300 most frequent words with ``max_vocab_size``; rarer words are dropped
# before the windows are formed. Grid parameters are addressed as
# ``<step name>__<parameter>``.
vec = SkipGramVectorizer(n_components=30, epochs=2, min_count=3,
                         max_vocab_size=300, learning_rate=0.05,
                         random_state=0)
pipe = Pipeline([
    ("vec", vec),
    ("scale", StandardScaler()),
    ("clf", LogisticRegression(max_iter=1000)),
])
param_grid = {
    "vec__loss": ["negative_sampling", "softmax"],
    "vec__window": [2, 5],
    "vec__n_components": [30],
}
# refit=False: we only read the table. The default, refit=True, would
# retrain the best pipeline on all 240 articles, ready to predict.
search = GridSearchCV(pipe, param_grid, cv=2, refit=False)
search.fit(docs, y)
print(f"{len(search.cv_results_['params'])} candidates x 2 folds = "
      f"{2 * len(search.cv_results_['params'])} fits")

# %%
# The results
# -----------
# ``cv_results_`` is a dict of arrays, one entry per candidate; pandas makes
# it a table.
columns = {
    "param_vec__loss": "loss",
    "param_vec__window": "window",
    "param_vec__n_components": "n_components",
    "mean_fit_time": "fit time (s)",
    "mean_test_score": "mean accuracy",
    "std_test_score": "std",
    "rank_test_score": "rank",
}
table = pd.DataFrame(search.cv_results_)[list(columns)].rename(
    columns=columns)
with pd.option_context("display.precision", 3):
    print(table.sort_values("rank").to_string(index=False))
print("best:", search.best_params_)

# %%
# Accuracy against training time, with the fold-to-fold spread:
fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
for loss, marker in [("negative_sampling", "o"), ("softmax", "s")]:
    rows = table[table["loss"] == loss]
    ax.errorbar(rows["fit time (s)"], rows["mean accuracy"],
                yerr=rows["std"], marker=marker, ls="none", capsize=3,
                label=loss)
    for _, row in rows.iterrows():
        ax.annotate(f"window={row['window']}",
                    (row["fit time (s)"], row["mean accuracy"]),
                    xytext=(5, 4), textcoords="offset points",
                    fontsize=8)
ax.set_xscale("log")
ax.set_xlabel("mean fit time per fold (s, log scale)")
ax.set_ylabel("mean CV accuracy")
ax.legend()
plt.show()

# %%
# The softmax fits are slower even on a 300-word vocabulary, and the gap
# grows linearly with the vocabulary. With 120 training articles per fold
# and two epochs the scores are noisy: a difference of a few points between
# candidates is within the fold-to-fold spread (``std``). The grid search
# machinery is the point here; on a real corpus use more folds, more
# documents and more epochs. Candidates can also run in parallel with
# ``GridSearchCV(..., n_jobs=2)``; keep ``n_jobs=1`` in the vectorizer
# then, so that every candidate stays reproducible.
#
# Scoring without labels
# ----------------------
# Without a classifier, ``GridSearchCV(SkipGramVectorizer(...), ...)`` uses
# the estimator's own ``score``: the mean log-likelihood of the held-out
# skip-gram pairs. It is a good criterion for ``window``, ``n_components``
# or ``epochs`` *within* one loss, but the scores of different losses are
# on different scales, so do not grid over ``loss`` that way.
