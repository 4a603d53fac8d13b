"""Personal profiles: a small per-user head over what the members already compute.

Qt-free. `features` turns predictor outputs into the head's input, `heads` fits and applies
the candidate heads, `profile` is the versioned file, `calibration` turns a recorded guided
check into labelled frames, `protocol` scores heads per person on held-out images.
"""
