/** Not API: logging that a peer cannot turn into a flood. */
package io.objectbroker.internal.logging;
