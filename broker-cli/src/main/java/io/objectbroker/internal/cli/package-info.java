/** Not API: what the broker's commands share (exit codes, one-line errors). */
package io.objectbroker.internal.cli;
