"""ctimm-xl: score Cyber Threat Intelligence Maturity Model workbooks."""

__version__ = "0.1.0"
