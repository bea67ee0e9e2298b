"""RNN Lab's UI-free core: data, text, models, training jobs, run store, charts.

Nothing in this package imports Streamlit; TensorFlow is imported lazily by the
modules that need it so that pages without models open fast.
"""
