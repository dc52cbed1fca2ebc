package io.objectbroker.provisioning;

/**
 * A file the service will not read or write because it leads to another file: a symbolic link
 * in the data folder or on the way to a file to import, or a qcow2 file whose header names a
 * backing file or an external data file that is not one of the image's own layers. Followed,
 * it could copy any file the server can read into an image, or let a node write to it.
 * Nothing was read through it; the message names the file and what to do.
 */
public class UnsafeFileException extends ProvisioningException {
  private static final long serialVersionUID = 1L;

  public UnsafeFileException(String message) {
    super(message);
  }
}
