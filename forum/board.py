"""(being built)"""

from flask import Blueprint

bp = Blueprint("board", __name__)
