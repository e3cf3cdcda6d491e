"""Callbacks: objects that act at given moments of ``fit``, ``evaluate`` and ``predict``.

Keras 3's ``keras.callbacks`` names: :class:`Callback` (subclass it), :class:`CallbackList`
(what a training loop calls), :class:`History`, :class:`ProgbarLogger`, :class:`LambdaCallback`,
:class:`TerminateOnNaN`, :class:`EarlyStopping`, :class:`ModelCheckpoint`,
:class:`ReduceLROnPlateau`, :class:`LearningRateScheduler`, :class:`CSVLogger` and
:class:`BackupAndRestore`, :class:`TensorBoard` (needs tensorboardX); plus :func:`plot_history` to draw a ``History`` (needs matplotlib).
"""

from numeras.callbacks.backup_and_restore import BackupAndRestore
from numeras.callbacks.callback import Callback
from numeras.callbacks.callback_list import CallbackList
from numeras.callbacks.csv_logger import CSVLogger
from numeras.callbacks.early_stopping import EarlyStopping
from numeras.callbacks.history import History
from numeras.callbacks.history_plot import plot_history
from numeras.callbacks.lambda_callback import LambdaCallback
from numeras.callbacks.learning_rate import LearningRateScheduler, ReduceLROnPlateau
from numeras.callbacks.model_checkpoint import ModelCheckpoint
from numeras.callbacks.monitor_callback import MonitorCallback
from numeras.callbacks.progbar_logger import ProgbarLogger
from numeras.callbacks.tensorboard import TensorBoard
from numeras.callbacks.terminate_on_nan import TerminateOnNaN

__all__ = [
    "BackupAndRestore",
    "CSVLogger",
    "Callback",
    "CallbackList",
    "EarlyStopping",
    "History",
    "LambdaCallback",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "MonitorCallback",
    "ProgbarLogger",
    "ReduceLROnPlateau",
    "TensorBoard",
    "TerminateOnNaN",
    "plot_history",
]
