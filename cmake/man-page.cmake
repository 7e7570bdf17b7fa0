# SPDX-License-Identifier: GPL-2.0-or-later
# Writes one manual page: cmake "-DCOMMAND=<program>;<arguments>" -DOUT=<file> -P man-page.cmake
# runs the program that prints the page (a script rather than a shell
# redirect so any generator runs it the same way).
execute_process(COMMAND ${COMMAND} OUTPUT_FILE "${OUT}.tmp" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  file(REMOVE "${OUT}.tmp")
  message(FATAL_ERROR "${COMMAND} failed: ${rc}")
endif()
file(RENAME "${OUT}.tmp" "${OUT}")
