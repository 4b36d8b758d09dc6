"""Extensions created unbound; create_app binds them."""
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from server.models.base import Base
from sync import jsontext

# JSON columns get only what JSON can carry (PostgreSQL checks), written the same way by every path.
db = SQLAlchemy(model_class=Base, engine_options={"json_serializer": jsontext.stored})
migrate = Migrate(compare_type=True, render_as_batch=True)
csrf = CSRFProtect()
