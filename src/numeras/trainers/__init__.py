"""How models are trained: ``Trainer`` (compile, the steps, fit/evaluate/predict), the
``EpochIterator`` that feeds every loop, the data adapters it reads through, and the containers
``compile`` builds for losses and metrics (``compile_utils``). Mirrors Keras 3's
``keras/src/trainers/``. Nothing below ``numeras.models`` imports this package."""
