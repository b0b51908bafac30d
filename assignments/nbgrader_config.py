"""nbgrader's settings for this course's assignments, which run on the Rust (tch) kernel.

nbgrader reads this file from the course folder (the folder that holds source/). Its defaults
are Python's; what differs for Rust is set here: the markers of solution regions and hidden
tests (written as Rust comments, `// BEGIN SOLUTION`), the stub that replaces a solution (it
compiles, and fails with a sentence when run), and time enough per cell for a kernel's first
`:dep` cell, which compiles the course's crate.
"""
c = get_config()  # noqa: F821 (nbgrader provides it)

c.CourseDirectory.course_id = "mnist-lab"

# `// BEGIN SOLUTION` ... `// END SOLUTION` in code cells, the same words in Markdown cells.
c.ClearSolutions.begin_solution_delimeter = "BEGIN SOLUTION"
c.ClearSolutions.end_solution_delimeter = "END SOLUTION"
c.ClearSolutions.code_stub = {
    "rust": '// YOUR CODE HERE\ntodo!("write your solution here, in place of this line")',
    "python": "# YOUR CODE HERE\nraise NotImplementedError()",
}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# `// BEGIN HIDDEN TESTS` ... `// END HIDDEN TESTS` in test cells: kept out of the released
# version, put back when grading.
c.ClearHiddenTests.begin_test_delimeter = "BEGIN HIDDEN TESTS"
c.ClearHiddenTests.end_test_delimeter = "END HIDDEN TESTS"
# Feedback shows what each test printed (the failed test's message), but not the hidden tests'
# code: nbgrader's default would hand it to every student with their feedback. A cell's printed
# lines, which the kernel sends one by one, are shown as one block.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbconvert.preprocessors.CoalesceStreamsPreprocessor",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]

# Seconds per cell while grading: the first `:dep` cell of a kernel compiles the crate (about
# 20 s on 2 cores from the warm build, several minutes without it); a training cell takes as
# long as the assignment allows. A cell over the limit fails, and grading goes on (nbgrader
# grades the cells after a failed one too).
c.Execute.timeout = 900
c.Execute.startup_timeout = 120

# Feedback pages work offline: the templates folder beside this file comes first and replaces
# the macro that loads MathJax from the web by one that loads nothing.
import os  # noqa: E402

import nbgrader  # noqa: E402

c.HTMLExporter.extra_template_basedirs = [
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates"),
    os.path.join(os.path.dirname(nbgrader.__file__), "server_extensions", "formgrader", "templates"),
]
