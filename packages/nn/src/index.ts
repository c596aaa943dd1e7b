// One import for library users: the whole tensor API, and (as they land)
// modules, losses and optimizers.
export * from '@pneumo/tensor';
