/**
 * Which backend answered, when it was not the route's primary: a failover decorator read the
 * object from a replica (the `X-Gantry-Served-By` header). Absent: the primary (or a cache) answered.
 */
export interface ServedByAnnotated {
  servedBy?: string;
}
