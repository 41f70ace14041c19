"""Coding questions that run: spec, sandbox, test harness, static review and grading.

Import the submodules directly (``interviewer.coding.grade`` and so on); this package keeps no
imports of its own so that loading the spec does not start anything.
"""
