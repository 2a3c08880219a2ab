"""
================================
A map of words in two dimensions
================================

Word vectors live in ``n_components`` dimensions; a principal component
analysis (PCA) projects them onto the plane that keeps most of their
variance. Here we place 40 frequent, topic-specific words from BBC News on
such a map and colour each by the topic it is most typical of: words of a
topic gather in the same region.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.decomposition import PCA
from sklearn.feature_extraction import text
from sklearn.model_selection import train_test_split

from skw2v import SkipGramVectorizer
from skw2v.datasets import load_bbc_news

docs, y, topics = load_bbc_news()
docs, _, y, _ = train_test_split(
    docs, y, train_size=1200, stratify=y, random_state=0)

vec = SkipGramVectorizer(n_components=50, min_count=3, epochs=3,
                         learning_rate=0.05, random_state=0)
vec.fit(docs)

# %%
# Choosing the words
# ------------------
# For every vocabulary word we count its occurrences per topic, with the
# same tokenisation as the vectorizer. A word is typical of a topic when at
# least 60% of its occurrences are there; we keep the 8 most frequent
# typical words of each topic, leaving out stop words.
counts = (text.CountVectorizer(vocabulary=vec.vocabulary_)
          .transform(docs))
# per_topic: (n_topics, n_words)
per_topic = np.vstack([np.asarray(counts[y == t].sum(axis=0)).ravel()
                       for t in range(len(topics))])
share = per_topic / np.maximum(per_topic.sum(axis=0), 1)
words, labels = [], []
for t, name in enumerate(topics):
    typical = [vec.index_to_key_[i]
               for i in np.argsort(-per_topic[t], kind="stable")
               if share[t, i] >= 0.6
               and vec.index_to_key_[i]
               not in text.ENGLISH_STOP_WORDS][:8]
    words += typical
    labels += [t] * len(typical)
    print(f"{name:>13}: {', '.join(typical)}")
labels = np.array(labels)

# %%
# The map
# -------
# Vectors are normalised to unit length first, so that the map reflects
# cosine similarity, the measure ``most_similar`` uses.
X = np.vstack([vec.wv_.get_vector(w, norm=True) for w in words])
pca = PCA(n_components=2, random_state=0)
xy = pca.fit_transform(X)
kept = pca.explained_variance_ratio_.sum()
print(f"variance kept by the two components: {kept:.0%}")

fig, ax = plt.subplots(figsize=(8, 6.5), layout="constrained")
colors = plt.get_cmap("tab10").colors
for t, name in enumerate(topics):
    pts = xy[labels == t]
    ax.scatter(pts[:, 0], pts[:, 1], color=colors[t], label=name,
               s=30)
for (x0, y0), word, t in zip(xy, words, labels, strict=True):
    ax.annotate(word, (x0, y0), xytext=(3, 3),
                textcoords="offset points",
                fontsize=9, color=colors[t])
ax.set_xlabel("first principal component")
ax.set_ylabel("second principal component")
ax.set_title("40 BBC News words, "
             "skip-gram vectors projected with PCA")
ax.legend(title="most typical of", loc="best")
plt.show()

# %%
# Two components keep only part of the variance of 50 dimensions, so
# neighbours on the map are not always neighbours in the full space; use
# ``most_similar`` for that. The map shows the broad structure: the vectors
# were trained without any topic labels, yet the words of a topic occupy
# their own region.
