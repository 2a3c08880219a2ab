"""
================================
Nearest neighbours and analogies
================================

The fitted word vectors are available as ``wv_``, a
:class:`skw2v.KeyedVectors`, with gensim's query methods: nearest
neighbours by cosine similarity, analogies, and the odd one out. Here they
are trained on 1,200 BBC News articles.
"""

# %%
import matplotlib.pyplot as plt
import pandas as pd
from sklearn.model_selection import train_test_split

from skw2v import SkipGramVectorizer
from skw2v.datasets import load_bbc_news
from skw2v.evaluation import evaluate_analogies

docs, y, topics = load_bbc_news()
docs, _, y, _ = train_test_split(
    docs, y, train_size=1200, stratify=y, random_state=0)

vec = SkipGramVectorizer(n_components=50, min_count=3, epochs=3,
                         learning_rate=0.05, random_state=0)
vec.fit(docs)
kv = vec.wv_
print(kv)

# %%
# Nearest neighbours
# ------------------
# ``most_similar`` ranks every word by the cosine between its unit-normed
# vector and the query's. Words used in the same contexts end up close: the
# neighbours of a word are mostly from its topic.
queries = ["economy", "oil", "election", "film", "football",
           "software"]
neighbours = pd.DataFrame(
    {q: [w for w, _ in kv.most_similar(q, topn=6)] for q in queries},
    index=range(1, 7))
print(neighbours.to_string())

# %%
# The scores behind one column:
words, scores = zip(*kv.most_similar("election", topn=10),
                    strict=True)
fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
ax.barh(words[::-1], scores[::-1], color="tab:green")
ax.set_xlabel("cosine similarity to 'election'")
ax.set_xlim(0, 1)
plt.show()

# %%
# Similarity and the odd one out
# ------------------------------
print(f"similarity(film, movie) = "
      f"{kv.similarity('film', 'movie'):.3f}")
print(f"similarity(film, bank)  = "
      f"{kv.similarity('film', 'bank'):.3f}")
odd = kv.doesnt_match(["football", "rugby", "tennis", "election"])
print("odd one out of football, rugby, tennis, election:", odd)

# %%
# Analogies
# ---------
# "``a`` is to ``b`` as ``c`` is to ?" is answered with 3CosAdd: the word
# closest to :math:`b - a + c`, the three query words excluded. Here are
# the five best candidates for a few questions.
questions = [
    ("blair", "labour", "howard", "tory"),
    ("year", "years", "month", "months"),
    ("phone", "phones", "game", "games"),
    ("player", "players", "company", "companies"),
    ("england", "english", "france", "french"),
]
rows = []
for a, b, c, d in questions:
    top5 = [w for w, _ in kv.analogy(a, b, c, topn=5)]
    rows.append({"question": f"{a} : {b} :: {c} : ?", "expected": d,
                 "top 5": ", ".join(top5)})
print(pd.DataFrame(rows).to_string(index=False))

# %%
# :func:`skw2v.evaluation.evaluate_analogies` scores such questions the way
# gensim and word2vec's ``compute-accuracy`` do: only the single best
# answer counts. It takes a question file in the format of Google's
# ``questions-words.txt`` or, as here, the questions themselves, grouped in
# sections.
sections = [("politics", questions[:1]), ("plurals", questions[1:4]),
            ("nationality", questions[4:])]
result = evaluate_analogies(kv, sections, restrict_vocab=None)
print(result.summary())

# %%
# A thousand news articles are enough for topical neighbours, but not for
# the regularities that analogies test: the right answer is often among
# the top five, rarely first. Published analogy accuracies come from
# corpora of hundreds of millions of words. To evaluate vectors trained on
# a real corpus, use :func:`~skw2v.evaluation.evaluate_analogies` and
# :func:`~skw2v.evaluation.evaluate_similarity` with the standard files, or
# ``skw2v evaluate`` on the command line.
