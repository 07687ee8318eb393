// Placeholder until its issue lands: the project exists so the solution layout is final.
return 0;
