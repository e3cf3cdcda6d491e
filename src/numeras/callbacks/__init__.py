"""Callbacks: objects that act at given moments of ``fit``, ``evaluate`` and ``predict``.

Keras 3's ``keras.callbacks`` names: :class:`Callback` (subclass it), :class:`CallbackList`
(what a training loop calls), :class:`History`, :class:`ProgbarLogger`, :class:`LambdaCallback`
and :class:`TerminateOnNaN`.
"""

from numeras.callbacks.callback import Callback
from numeras.callbacks.callback_list import CallbackList
from numeras.callbacks.history import History
from numeras.callbacks.lambda_callback import LambdaCallback
from numeras.callbacks.progbar_logger import ProgbarLogger
from numeras.callbacks.terminate_on_nan import TerminateOnNaN

__all__ = [
    "Callback",
    "CallbackList",
    "History",
    "LambdaCallback",
    "ProgbarLogger",
    "TerminateOnNaN",
]
