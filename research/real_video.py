#!/usr/bin/env python3
"""The detector's boxes and the decoder's masks of a trained run on frames of a (real, unlabelled) video.

    python research/real_video.py RUN DATA OUT.png [FRAMES]     # FRAMES: comma-separated frame indices

Writes the figure of `tvti.analysis.qualitative_figure` (frame and box, decoded crop, mask, composite) for the
first sequence of dataset folder DATA. docs/real/ holds the one the README shows."""
import sys, warnings
from pathlib import Path
import numpy as np
import torch

def main(argv):
    if len(argv) not in (3, 4):
        sys.exit(__doc__)
    from tvti.core import TvtiError, os_error_message
    from tvti.data import load_dataset, frames_tensor
    from tvti.pose import load_run
    from tvti.analysis import qualitative_figure
    run, data, out = argv[0], argv[1], Path(argv[2])
    try:
        seq = load_dataset(data)[0]
        if len(argv) == 4:
            ts = [int(x) for x in argv[3].split(",")]
        else:
            ts = list(np.linspace(0, len(seq) - 1, 6).round().astype(int))
        bad = [t for t in ts if not 0 <= t < len(seq)]
        if bad:
            raise TvtiError(f"{data}: frame {bad[0]} is outside 0..{len(seq) - 1}")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            obj = load_run(run)
        frames, bgs = frames_tensor([seq.frames[t] for t in ts]), frames_tensor([seq.background_at(t) for t in ts])
        with torch.no_grad():
            fig = qualitative_figure(obj, frames, bgs, size=1.8)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f".{out.name}.partial.png")
        fig.savefig(tmp, dpi=110)
        tmp.replace(out)
    except TvtiError as e:
        sys.exit(f"real_video: error: {e}")
    except OSError as e:
        sys.exit(f"real_video: error: {os_error_message(e)}")
    print(f"wrote {out}: frames {', '.join(map(str, ts))} of {seq.name}")

if __name__ == "__main__":
    main(sys.argv[1:])
