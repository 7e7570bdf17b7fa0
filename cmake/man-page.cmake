# SPDX-License-Identifier: GPL-2.0-or-later
# Writes one manual page: cmake -DPGTWIN=<binary> -DSECTION=<7|8> -DOUT=<file> -P man-page.cmake
# (a script rather than a shell redirect so any generator runs it the same way).
execute_process(COMMAND "${PGTWIN}" man-page "${SECTION}" OUTPUT_FILE "${OUT}.tmp" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  file(REMOVE "${OUT}.tmp")
  message(FATAL_ERROR "${PGTWIN} man-page ${SECTION} failed: ${rc}")
endif()
file(RENAME "${OUT}.tmp" "${OUT}")
