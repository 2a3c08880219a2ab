"""
========================================
Vectors for words never seen in training
========================================

A word2vec model has no vector for a word outside its vocabulary: a typo,
a rare name, an inflection that training never met. With
``char_ngram_range`` set, :class:`~skw2v.SkipGramVectorizer` trains
fastText's subword vectors (Bojanowski et al., 2017): a word's vector is
the mean of its own row and of the rows of its character n-grams, so any
string gets one, built from its spelling. Here both kinds of vectors are
trained on 1,200 BBC News articles and asked about words they never saw.
"""

# %%
import numpy as np
from sklearn.model_selection import train_test_split

from skw2v import SkipGramVectorizer
from skw2v.datasets import load_bbc_news

docs, y, topics = load_bbc_news()
docs, test_docs, y, y_test = train_test_split(
    docs, y, train_size=1200, stratify=y, random_state=0)

common = dict(n_components=50, min_count=3, epochs=3,
              learning_rate=0.05, random_state=0)
words = SkipGramVectorizer(**common).fit(docs)
subwords = SkipGramVectorizer(**common, char_ngram_range=(3, 6),
                              n_buckets=200_000).fit(docs)
kv = subwords.wv_
print(kv)

# %%
# Misspelt and unseen words
# -------------------------
# None of these strings is in the vocabulary (``in`` still means "in the
# vocabulary"), so the word2vec model cannot place them. The subword
# model composes their vectors from their n-grams. A dropped or doubled
# letter leaves most n-grams intact, and the intended word comes first;
# where the misspelling breaks the n-grams that matter ("goverment",
# "elektion"), the neighbours are words that share the remaining ones
# (``-ment``, ``-tion``), and the intended word is further down.
queries = ["footbal", "technologie", "economistss", "microsofts",
           "broadbandd", "goverment", "elektion"]
print({q: q in kv for q in queries})
for q in queries:
    top = [w for w, _ in kv.most_similar(q, topn=4)]
    print(f"{q:12s}", ", ".join(top))

# %%
# How close a typo lands to its word
# ----------------------------------
# ``similarity`` works on any two strings. A misspelling shares most of its
# n-grams with the word, and so most of its vector.
pairs = [("goverment", "government"), ("footbal", "football"),
         ("elektion", "election"), ("goverment", "football")]
for a, b in pairs:
    print(f"similarity({a!r}, {b!r}) = {kv.similarity(a, b):.3f}")

# %%
# Documents of unseen words
# -------------------------
# ``transform`` pools every token of a document. Without subwords, a
# document made only of unseen words is a row of zeros; with them, it gets
# a row like its correctly spelt twin's.
typo_docs = ["goverment minsiters debate the elektion",
             "the footbal clubs and their strikerz"]
clean_docs = ["government ministers debate the election",
              "the football clubs and their strikers"]
for name, vec in [("words", words), ("subwords", subwords)]:
    a = vec.transform(typo_docs)
    b = vec.transform(clean_docs)
    cos = np.sum(a * b, axis=1) / (
        np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1) + 1e-12)
    print(f"{name:9s} cosine(typo doc, clean doc):", np.round(cos, 3))

# %%
# The n-gram rows take memory whatever the vocabulary:
# ``n_buckets * n_components * 4`` bytes in float32 (40 MB here, 800 MB at
# fastText's 2,000,000 buckets of 100 numbers). The vocabulary's composed
# vectors are ``vectors_``, and the word2vec files written by
# ``wv_.save_word2vec_format`` hold them, readable by any word2vec tool.
print(subwords.vectors_ngrams_.shape, subwords.vectors_.shape)
