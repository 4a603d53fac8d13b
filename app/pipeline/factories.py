"""What the window's worker is made from: the source and the recognition pipeline, from
settings, and a personal profile prepared on each processor built. Qt-free, so the worker
(`pipeline/worker.py`) stays glue; the worker re-exports these for the window."""

from __future__ import annotations

from collections.abc import Callable

from app.capture.source import FrameSource
from app.config import AppConfig
from app.errors import message
from app.pipeline.session import PredictionHook, Processor

SourceFactory = Callable[[], FrameSource]
# Returns the processor and a notice for the user (e.g. "no trained weights") or None.
ProcessorFactory = Callable[[], tuple[Processor, str | None]]


def app_processor_factory(config: AppConfig) -> ProcessorFactory:
    """The real pipeline from settings. Without weights, faces are still found and boxed but
    not classified, and the notice says why (the app never shows random predictions)."""

    def build() -> tuple[Processor, str | None]:
        from app.pipeline.engine import NoWeightsError, build_processor

        try:
            processor = build_processor(config, mode="video")
        except NoWeightsError as exc:
            return build_processor(config, mode="video", require_weights=False), message(exc)
        status = processor.predictor.optimize_status if processor.predictor else []
        # An int8 file that exists but is stale or unreadable: still correct, only slower;
        # say so and how to fix it. (A checkpoint of your own without one is normal.)
        stale = [str(n) for n in status if n.int8_file == "unusable"]
        if stale:
            return processor, ("the int8 model files do not match the weights ("
                               + "; ".join(stale) + "); running the float models, which "
                               "is slower. Export them again with `python -m app "
                               "export-onnx`.")
        return processor, None

    return build


def with_profile(factory: ProcessorFactory, profile_arg: str
                 ) -> tuple[ProcessorFactory, PredictionHook | None, str | None]:
    """The processor factory with a personal profile (NAME|PATH) checked against and
    prepared on each processor it builds, the session hook, and a notice when the profile
    cannot be used (then the app runs on the shipped weights alone and says so)."""
    from app.profiles.apply import ProfileHook, activate
    from app.profiles.profile import ProfileError, load_profile
    from app.profiles.store import ProfileStore

    try:
        profile = load_profile(ProfileStore().resolve(profile_arg))
    except ProfileError as exc:
        return factory, None, "personal profile not used: " + message(exc)
    hook = ProfileHook(profile, active=False)

    def build() -> tuple[Processor, str | None]:
        processor, notice = factory()
        predictor = getattr(processor, "predictor", None)
        if predictor is None:
            return processor, notice
        try:
            activate(profile, predictor, hook)
        except ProfileError as exc:
            hook.active = False
            return processor, "personal profile not used: " + message(exc)
        return processor, notice

    return build, hook, None


def app_source_factory(spec: str, config: AppConfig) -> SourceFactory:
    """Opens what `spec` names; a camera reconnects by itself after a fault (and, in booth
    mode, waits for a camera that is not there yet instead of failing)."""

    def open_it() -> FrameSource:
        from app.capture.source import CameraSource, open_source

        if str(spec).strip().isdigit():
            from app.capture.reconnect import ReconnectingSource

            index, c = int(str(spec).strip()), config.capture
            return ReconnectingSource(lambda: CameraSource(index, c.width, c.height),
                                      f"camera {index}", wait_for_first=config.booth.enabled)
        return open_source(spec, loop=config.capture.loop_video, width=config.capture.width,
                           height=config.capture.height,
                           image_fps=1.0 / config.capture.image_seconds)

    return open_it


__all__ = ["ProcessorFactory", "SourceFactory", "app_processor_factory", "app_source_factory",
           "with_profile"]
