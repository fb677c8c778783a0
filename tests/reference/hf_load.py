"""Loads a clinsynth datasets/ folder with the real Hugging Face `datasets` library and prints what a user gets, as JSON.

Usage: python hf_load.py DATASETS_DIR. For every config (get_dataset_config_names), every split: its rows (id, source,
split column, text, usable, labels as names) and the `labels` feature; plus the default config's splits.
"""
import json
import sys

import datasets

folder = sys.argv[1]
out = {"version": datasets.__version__, "configs": {}}
for name in datasets.get_dataset_config_names(folder):
    ds = datasets.load_dataset(folder, name)
    config = {}
    for split, d in ds.items():
        feature = d.features["labels"]
        names = feature.feature.names
        config[split] = {
            "labels_feature": repr(feature),
            "label_names": names,
            "rows": [
                {
                    "id": r["id"],
                    "source": r["source"],
                    "split": r["split"],
                    "text": r["text"],
                    "usable": r["usable"],
                    "labels": [names[i] for i in r["labels"]],
                }
                for r in d
            ],
        }
    out["configs"][name] = config
default = datasets.load_dataset(folder)
out["default_splits"] = sorted(default.keys())
print(json.dumps(out))
